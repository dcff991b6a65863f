using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Dicom.Network.Services;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Dimse;

/// <summary>
/// Encodes pixel data for a peer configured to receive it compressed (<c>Dimse.Peers[].Compression</c>, lossless
/// only), or for a C-GET requestor that took only a compressed syntax for an instance's class: native data with the
/// encoders ingest compression uses and within the same limits (<see cref="StoreCompression.WhyNot"/>); compressed data
/// decoded first (once lossy, it stays marked lossy). A requestor that put JPEG Baseline or Extended first (getscu
/// <c>+xy</c>) gets a lossy, derived instance with a new SOP Instance UID (<see cref="LossyDerivation"/>).
/// </summary>
internal sealed class CodecPixelDataEncoder : IPixelDataEncoder
{
    public static CodecPixelDataEncoder Instance { get; } = new();

    /// <summary>Compressed data another syntax can hold once decoded: a decoder for it, and an encoder for what it gives.</summary>
    private static bool CanReEncode(DicomFile file, TransferSyntax target)
    {
        var registry = DicomTranscoder.Default.Registry;
        if (file.TransferSyntax.Equals(target) || !registry.TryGet(file.TransferSyntax, out var decoder) || !registry.TryGet(target, out var encoder)) return false;
        try
        {
            var info = PixelDataInfo.FromDataset(file.Dataset);
            if (!decoder.CanDecode(info)) return false;
            var decoded = decoder.GetDecodedInfo(info);
            return (encoder.CanEncode(decoded) || (target.IsLossy && DicomTranscoder.MayMapModalityRange(file.Dataset, decoded)))
                && decoded.FrameSize <= StoreCompression.MaxFrameBytes;
        }
        catch (DicomCodecException)
        {
            return false;
        }
    }

    public bool TryEncode(string sourcePath, string targetTransferSyntaxUid, string destinationPath)
    {
        var target = TransferSyntax.Lookup(targetTransferSyntaxUid);
        // The header decides (large values stay in the file): an image the syntax cannot hold goes as it is.
        var file = DicomFile.Open(sourcePath);
        if (file.TransferSyntax.IsEncapsulated ? !CanReEncode(file, target) : StoreCompression.WhyNot(file.Dataset, file.TransferSyntax, target) != null) return false;
        try
        {
            DicomTranscoder.Default.TranscodeFile(sourcePath, target, destinationPath);
            return true;
        }
        catch (Exception e) when (e is DicomCodecException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            // An encoder that fails sends the instance as it is, as for an image the syntax cannot hold.
            File.Delete(destinationPath);
            return false;
        }
    }
}
