using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;

namespace TciaPacs.Web.Wado;

/// <summary>
/// Which transfer syntax an instance is sent in (PS3.18 8.7.3.5): <c>*</c> means as stored; an uncompressed syntax is
/// reached from any native one by re-encoding, and from an encapsulated one only when a codec decodes it (RLE today);
/// an encapsulated syntax only as stored.
/// </summary>
internal static class TransferSyntaxChoice
{
    public const string AsStored = "*";

    public static bool CanSend(string storedUid, string? requested, CodecRegistry codecs)
    {
        if (requested is null or AsStored || requested == storedUid) return true;
        var target = TransferSyntax.Lookup(requested);
        var stored = TransferSyntax.Lookup(storedUid);
        if (!target.IsUncompressed && !target.IsDeflated) return false;
        if (!TransferSyntax.Uncompressed.Contains(target)) return false;
        return !stored.IsEncapsulated || codecs.TryGet(stored, out _);
    }

    /// <summary>True when the requested syntax is one we can produce at all (known and uncompressed, or <c>*</c>).</summary>
    public static bool IsKnown(string? requested) =>
        requested is null or AsStored || TransferSyntax.Uncompressed.Any(t => t.Uid == requested) || MediaTypes.ForFrames(requested) != null;
}
