using TciaPacs.Dicom.Codecs.Jpeg;

namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// Decodes JPEG 2000 Image Compression (Lossless Only, 1.2.840.10008.1.2.4.90, and 4.91) frames (PS3.5 A.4.4, 8.2.4)
/// and High-Throughput JPEG 2000 ones (4.201, 4.202 with RPCL, and 4.203; PS3.5 A.4.7) with <see cref="Jpeg2000Decoder"/>. Encoding is not offered. Samples are written in Bits Allocated (8 or 16 bits,
/// little endian), colour-by-pixel. YBR_RCT and YBR_ICT become RGB, since the stream's component transform is undone
/// (PS3.5 8.2.4), as dcmtk's and GDCM's decoders label them.
/// </summary>
public sealed class Jpeg2000Codec(TransferSyntax transferSyntax) : JpegFamilyCodec(transferSyntax)
{
    public static IReadOnlyList<Jpeg2000Codec> All { get; } =
        [new(TransferSyntax.JPEG2000Lossless), new(TransferSyntax.JPEG2000), new(TransferSyntax.HTJ2KLossless), new(TransferSyntax.HTJ2KLosslessRPCL), new(TransferSyntax.HTJ2K)];

    private protected override string StreamName => TransferSyntax.Uid.StartsWith("1.2.840.10008.1.2.4.20", StringComparison.Ordinal) ? "HTJ2K" : "JPEG 2000";

    public override PixelDataInfo GetDecodedInfo(PixelDataInfo encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.SamplesPerPixel == 1) return encoded;
        var photometric = encoded.PhotometricInterpretation is "YBR_RCT" or "YBR_ICT" ? "RGB" : encoded.PhotometricInterpretation;
        return encoded with { PhotometricInterpretation = photometric, PlanarConfiguration = 0 };
    }

    private protected override DecodedImage Decode(byte[] input, int length, PixelDataInfo info) =>
        Guarded(StreamName, () => Jpeg2000Decoder.Decode(input, length, (width, height, components, precision) => Check(width, height, components, precision, info)));
}
