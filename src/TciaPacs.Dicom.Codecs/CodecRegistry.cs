using System.Collections.Frozen;
using TciaPacs.Dicom.Codecs.Rle;

namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// The codecs available to a transcoder, one per transfer syntax UID. Immutable: <see cref="With"/> returns a new
/// registry, so that <see cref="Default"/> can be shared and no global set of codecs is ever changed behind a caller.
/// </summary>
public sealed class CodecRegistry
{
    private readonly FrozenDictionary<string, IPixelCodec> _codecs;

    public CodecRegistry(IEnumerable<IPixelCodec> codecs)
    {
        ArgumentNullException.ThrowIfNull(codecs);
        var map = new Dictionary<string, IPixelCodec>(StringComparer.Ordinal);
        foreach (var c in codecs) map[c.TransferSyntax.Uid] = c; // a later codec for the same syntax replaces an earlier one
        _codecs = map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// The built-in managed codecs: RLE Lossless (PS3.5 Annex G), JPEG Lossless and Lossless SV1 (A.4.1) and JPEG-LS
    /// Lossless (A.4.3), Deflated Image Frame Compression (A.4.13) and Encapsulated Uncompressed (A.4.11) both ways; JPEG Baseline and Extended, JPEG-LS
    /// Near-Lossless, JPEG 2000 and HTJ2K for decoding; the JPEG XL syntaxes for decoding where libjxl is installed.
    /// </summary>
    public static CodecRegistry Default { get; } = new([new RleCodec(), .. Jpeg.JpegCodec.All, .. Jpeg.JpegLsCodec.All, .. Jpeg2000.Jpeg2000Codec.All, new Deflate.DeflatedFrameCodec(), new EncapsulatedUncompressedCodec(), .. JpegXl.JpegXlCodec.All]);

    public IReadOnlyCollection<IPixelCodec> Codecs => _codecs.Values;

    /// <summary>A registry with <paramref name="codec"/> added, replacing any codec of the same transfer syntax.</summary>
    public CodecRegistry With(IPixelCodec codec) => new(_codecs.Values.Append(codec));

    public bool TryGet(TransferSyntax transferSyntax, out IPixelCodec codec)
    {
        ArgumentNullException.ThrowIfNull(transferSyntax);
        if (_codecs.TryGetValue(transferSyntax.Uid, out var found)) { codec = found; return true; }
        codec = null!;
        return false;
    }

    /// <summary>The codec for <paramref name="transferSyntax"/>, or a <see cref="NotSupportedException"/> naming it.</summary>
    public IPixelCodec Get(TransferSyntax transferSyntax) =>
        TryGet(transferSyntax, out var codec)
            ? codec
            : throw new NotSupportedException($"No codec is registered for transfer syntax {transferSyntax.Name} ({transferSyntax.Uid}).");
}
