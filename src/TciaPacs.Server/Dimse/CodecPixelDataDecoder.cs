using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Server.Dimse;

/// <summary>
/// Decodes pixel data for peers that accept only native transfer syntaxes (C-MOVE, C-GET, <c>tciapacs store</c>), with
/// the codecs of <see cref="CodecRegistry.Default"/> (every syntax it decodes: RLE, JPEG, JPEG-LS, JPEG 2000, HTJ2K,
/// deflated frames, encapsulated uncompressed), as WADO-RS does for an Accept it names.
/// </summary>
internal sealed class CodecPixelDataDecoder : IPixelDataDecoder
{
    public static CodecPixelDataDecoder Instance { get; } = new();

    private static DicomTranscoder Transcoder => DicomTranscoder.Default;

    public bool CanDecode(string transferSyntaxUid) =>
        TransferSyntax.Lookup(transferSyntaxUid) is { IsEncapsulated: true } ts && Transcoder.Registry.TryGet(ts, out _);

    public void Decode(string sourcePath, string targetTransferSyntaxUid, string destinationPath)
    {
        var target = TransferSyntax.Lookup(targetTransferSyntaxUid);
        if (target.IsEncapsulated) throw new ArgumentException($"{target.Name} is not a native transfer syntax.", nameof(targetTransferSyntaxUid));
        Transcoder.TranscodeFile(sourcePath, target, destinationPath);
    }
}
