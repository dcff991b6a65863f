using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Dicom.Network.Services;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Dimse;

/// <summary>
/// Encodes native pixel data losslessly for a peer configured to receive it compressed (<c>Dimse.Peers[].Compression</c>),
/// with the encoders ingest compression uses and within the same limits (<see cref="StoreCompression.WhyNot"/>).
/// </summary>
internal sealed class CodecPixelDataEncoder : IPixelDataEncoder
{
    public static CodecPixelDataEncoder Instance { get; } = new();

    public bool TryEncode(string sourcePath, string targetTransferSyntaxUid, string destinationPath)
    {
        var target = TransferSyntax.Lookup(targetTransferSyntaxUid);
        // The header decides (large values stay in the file): an image the syntax cannot hold goes as it is.
        var file = DicomFile.Open(sourcePath);
        if (StoreCompression.WhyNot(file.Dataset, file.TransferSyntax, target) != null) return false;
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
