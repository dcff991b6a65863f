namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// Decodes JPEG-LS Lossless (1.2.840.10008.1.2.4.80) and Near-Lossless (4.81) frames (PS3.5 A.4.3) with
/// <see cref="JpegLsDecoder"/>, and encodes Lossless frames with <see cref="JpegLsEncoder"/>. Samples are written in
/// Bits Allocated (8 or 16 bits, little endian), colour-by-pixel; JPEG-LS applies no colour transform in DICOM, so the
/// attributes do not change, except Planar Configuration, which is 0 in JPEG-LS (PS3.5 8.2.3).
/// </summary>
public sealed class JpegLsCodec(TransferSyntax transferSyntax) : JpegFamilyCodec(transferSyntax)
{
    public static IReadOnlyList<JpegLsCodec> All { get; } = [new(TransferSyntax.JPEGLSLossless), new(TransferSyntax.Lookup("1.2.840.10008.1.2.4.81"))];

    private protected override string StreamName => "JPEG-LS";

    public override PixelDataInfo GetDecodedInfo(PixelDataInfo encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return encoded.SamplesPerPixel > 1 ? encoded with { PlanarConfiguration = 0 } : encoded;
    }

    /// <summary>
    /// What PS3.5 8.2.3 allows in JPEG-LS Lossless (<see cref="JpegFamilyCodec.IsLosslessEncodable"/>); YBR_FULL only
    /// in 8 bits. Near-lossless is not written.
    /// </summary>
    public override bool CanEncode(PixelDataInfo info) =>
        TransferSyntax.Equals(TransferSyntax.JPEGLSLossless) && IsLosslessEncodable(info) && !(info.PhotometricInterpretation.Trim() == "YBR_FULL" && info.BitsAllocated != 8);

    /// <summary>Encodes one frame losslessly, in Bits Stored or, when a sample needs more, Bits Allocated (<see cref="JpegFamilyCodec.Planes"/>).</summary>
    public override byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info)
    {
        var (planes, precision) = Planes(nativeFrame, info);
        var encoded = JpegLsEncoder.Encode(planes, info.Columns, info.Rows, precision);
        return (encoded.Length & 1) == 0 ? encoded : [.. encoded, 0];
    }

    private protected override DecodedImage Decode(byte[] input, int length, PixelDataInfo info)
    {
        var decoded = Guarded(StreamName, () => JpegLsDecoder.Decode(input, length, d => Check(d.Width, d.Height, d.Components, d.Precision, info)));
        return Planes(StreamName, decoded.Components, decoded.Samples, decoded.Width, decoded.Height, decoded.Precision);
    }
}
