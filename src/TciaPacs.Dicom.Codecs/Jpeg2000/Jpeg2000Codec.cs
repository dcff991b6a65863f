using TciaPacs.Dicom.Codecs.Jpeg;

namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// Decodes JPEG 2000 Image Compression (Lossless Only, 1.2.840.10008.1.2.4.90, and 4.91) frames (PS3.5 A.4.4, 8.2.4)
/// and High-Throughput JPEG 2000 ones (4.201, 4.202 with RPCL, and 4.203; PS3.5 A.4.7) with <see cref="Jpeg2000Decoder"/>, and encodes lossless 4.90, 4.201 and 4.202 frames with <see cref="Jpeg2000Encoder"/>. Samples are written in Bits Allocated (8 or 16 bits,
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

    /// <summary>
    /// What PS3.5 8.2.4 allows in a lossless JPEG 2000 stream (<see cref="JpegFamilyCodec.IsLosslessEncodable"/>), for the
    /// syntaxes we write: 4.90 (Part 1 code-blocks), 4.201 and 4.202 (HTJ2K).
    /// </summary>
    public override bool CanEncode(PixelDataInfo info) => Form is not null && IsLosslessEncodable(info);

    /// <summary>
    /// RGB is coded with the reversible component transform (T.800 G.2), as OpenJPEG and OpenJPH do by default: its
    /// luminance and two colour differences compress better than three correlated colours. The data set then says
    /// YBR_RCT (PS3.5 8.2.4), which decoders undo back to RGB. YBR_FULL is coded as it is.
    /// </summary>
    public override PixelDataInfo GetEncodedInfo(PixelDataInfo native)
    {
        var encoded = base.GetEncodedInfo(native);
        return UsesRct(native) ? encoded with { PhotometricInterpretation = "YBR_RCT" } : encoded;
    }

    private static bool UsesRct(PixelDataInfo native) => native.SamplesPerPixel == 3 && native.PhotometricInterpretation.Trim() == "RGB";

    private Jpeg2000Encoder.Form? Form => TransferSyntax.Uid switch
    {
        "1.2.840.10008.1.2.4.90" => Jpeg2000Encoder.Form.Part1,
        "1.2.840.10008.1.2.4.201" => Jpeg2000Encoder.Form.HighThroughput,
        "1.2.840.10008.1.2.4.202" => Jpeg2000Encoder.Form.HighThroughputRpcl,
        _ => null,
    };

    /// <summary>
    /// Encodes one frame losslessly, in Bits Stored or, when a sample needs more, Bits Allocated
    /// (<see cref="JpegFamilyCodec.Planes"/>); signed samples are coded signed, as Pixel Representation says.
    /// </summary>
    public override byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info)
    {
        var (planes, precision) = Planes(nativeFrame, info);
        var encoded = Jpeg2000Encoder.Encode(planes, info.Columns, info.Rows, precision, info.PixelRepresentation == 1, Form!.Value, UsesRct(info));
        return (encoded.Length & 1) == 0 ? encoded : [.. encoded, 0];
    }

    private protected override DecodedImage Decode(byte[] input, int length, PixelDataInfo info) =>
        Guarded(StreamName, () => Jpeg2000Decoder.Decode(input, length, (width, height, components, precision) => Check(width, height, components, precision, info)));
}
