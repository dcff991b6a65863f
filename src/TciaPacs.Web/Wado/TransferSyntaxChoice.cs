using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Web.Wado;

/// <summary>
/// Which transfer syntax an instance is sent in (PS3.18 8.7.3.5): <c>*</c> means as stored; an uncompressed syntax is
/// reached from any native one by re-encoding, and from an encapsulated one when a codec decodes it; an encapsulated
/// syntax as stored, or when a codec encodes it losslessly (RLE Lossless, JPEG-LS Lossless) from pixel data that is
/// native or decodes, and that codec takes the instance's image (which needs its header: <paramref name="path"/>).
/// </summary>
internal static class TransferSyntaxChoice
{
    public const string AsStored = "*";

    public static bool CanSend(string storedUid, string? requested, CodecRegistry codecs, string? path = null)
    {
        if (requested is null or AsStored || requested == storedUid) return true;
        var target = TransferSyntax.Lookup(requested);
        var stored = TransferSyntax.Lookup(storedUid);
        if (stored.IsEncapsulated && !codecs.TryGet(stored, out _)) return false;
        if (target.IsEncapsulated) return !target.IsLossy && path != null && CanEncode(path, stored, target, codecs);
        if (!target.IsUncompressed && !target.IsDeflated) return false;
        return TransferSyntax.Uncompressed.Contains(target);
    }

    /// <summary>Whether the codec of <paramref name="target"/> takes the image of the file at <paramref name="path"/> (a file without pixel data: yes).</summary>
    private static bool CanEncode(string path, TransferSyntax stored, TransferSyntax target, CodecRegistry codecs)
    {
        if (!codecs.TryGet(target, out var encoder)) return false;
        DicomDataset header;
        try
        {
            header = DicomFile.Open(path, DicomReadOptions.HeaderOnly).Dataset;
        }
        catch (Exception e) when (e is DicomParseException or IOException)
        {
            return false;
        }
        if (!header.Contains(DicomTags.Rows)) return true; // no image: only relabelled
        try
        {
            var info = PixelDataInfo.FromDataset(header);
            if (stored.IsEncapsulated) info = codecs.Get(stored).GetDecodedInfo(info);
            return encoder.CanEncode(info);
        }
        catch (DicomCodecException)
        {
            return false;
        }
    }
}
