namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// Decodes JPEG-LS Lossless (1.2.840.10008.1.2.4.80) and Near-Lossless (4.81) frames (PS3.5 A.4.3) with
/// <see cref="JpegLsDecoder"/>. Encoding is not offered. Samples are written in Bits Allocated (8 or 16 bits, little
/// endian), colour-by-pixel; JPEG-LS applies no colour transform in DICOM, so the attributes do not change.
/// </summary>
public sealed class JpegLsCodec(TransferSyntax transferSyntax) : DecodeOnlyCodec(transferSyntax)
{
    public static IReadOnlyList<JpegLsCodec> All { get; } = [new(TransferSyntax.JPEGLSLossless), new(TransferSyntax.Lookup("1.2.840.10008.1.2.4.81"))];

    private protected override string StreamName => "JPEG-LS";

    public override PixelDataInfo GetDecodedInfo(PixelDataInfo encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        return encoded.SamplesPerPixel > 1 ? encoded with { PlanarConfiguration = 0 } : encoded;
    }

    private protected override DecodedImage Decode(byte[] input, int length, PixelDataInfo info)
    {
        var decoded = Guarded(StreamName, () => JpegLsDecoder.Decode(input, length, d => Check(d.Width, d.Height, d.Components, d.Precision, info)));
        return Planes(StreamName, decoded.Components, decoded.Samples, decoded.Width, decoded.Height, decoded.Precision);
    }
}
