using JpegLibrary;

namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// Decodes the JPEG transfer syntaxes of PS3.5 A.4.1 (ISO 10918-1 in PS3.5 8.2.1): Baseline (4.50) and Extended 12-bit
/// (4.51) with the managed JpegLibrary package, Lossless Process 14 (4.57) and its Selection Value 1 (4.70) with
/// <see cref="LosslessJpegDecoder"/>; the two lossless syntaxes are also encoded, with predictor 1
/// (<see cref="LosslessJpegEncoder"/>), and the two lossy ones at a quality factor (<see cref="DctJpegEncoder"/>,
/// which only a caller that asked for a lossy syntax reaches). Each frame is one JPEG stream. Samples keep the JPEG
/// precision's bit pattern in Bits Allocated (8 or 16, little endian), as dcmtk's dcmdjpeg writes them; the native
/// data is colour-by-pixel (Planar Configuration 0). A lossy frame with a YBR photometric interpretation is converted
/// to RGB (JFIF's full-range YCbCr, PS3.3 C.7.6.3.1.2), as dcmtk and Orthanc do by default; a lossless one keeps its
/// components and its photometric interpretation.
/// </summary>
public sealed class JpegCodec(TransferSyntax transferSyntax, int quality = JpegCodec.DefaultQuality) : JpegFamilyCodec(transferSyntax)
{
    /// <summary>The IJG quality factor lossy frames are encoded at unless a codec is made with another: dcmtk's <c>dcmcjpeg</c> default.</summary>
    public const int DefaultQuality = 90;

    /// <summary>The IJG quality factor (1 to 100) of the lossy syntaxes' encoding.</summary>
    public int Quality { get; } = quality is >= 1 and <= 100 ? quality : throw new ArgumentOutOfRangeException(nameof(quality), "The JPEG quality factor is 1 to 100.");

    /// <summary>The four JPEG transfer syntaxes this codec decodes.</summary>
    public static IReadOnlyList<JpegCodec> All { get; } =
    [
        new(TransferSyntax.JPEGBaseline8Bit),
        new(TransferSyntax.Lookup("1.2.840.10008.1.2.4.51")),
        new(TransferSyntax.JPEGLossless),
        new(TransferSyntax.JPEGLosslessSV1),
    ];

    private protected override string StreamName => "JPEG";

    private bool Lossy => TransferSyntax.IsLossy;

    public override bool CanDecode(PixelDataInfo info) => info.SamplesPerPixel is 1 or 3 && base.CanDecode(info);

    /// <summary>
    /// The lossless syntaxes: <see cref="JpegFamilyCodec.IsLosslessEncodable"/>. The lossy ones (PS3.5 8.2.1): unsigned
    /// samples, one (MONOCHROME1, MONOCHROME2) or three (RGB, YBR_FULL), stored from bit 0 in 8 bits allocated, or for
    /// JPEG Extended also up to 12 in 16 (its 12-bit precision). Signed samples are refused: a DCT codes the bit
    /// pattern, and a lossy one would spread the jump between 0 and -1 across the block (dcmtk instead maps the values
    /// into unsigned ones and rewrites the rescale); so is PALETTE COLOR, whose indices a lossy coding would change.
    /// </summary>
    public override bool CanEncode(PixelDataInfo info) => Lossy ? IsDctEncodable(info) : IsLosslessEncodable(info);

    private bool IsDctEncodable(PixelDataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var photometric = info.PhotometricInterpretation.Trim();
        var samplesFit = info.SamplesPerPixel switch
        {
            1 => photometric is "MONOCHROME1" or "MONOCHROME2",
            3 => photometric is "RGB" or "YBR_FULL",
            _ => false,
        };
        var baseline = TransferSyntax.Uid == TransferSyntax.JPEGBaseline8Bit.Uid;
        var bitsFit = info.BitsAllocated == 8 ? info.BitsStored is >= 1 and <= 8 : !baseline && info.BitsAllocated == 16 && info.BitsStored is >= 1 and <= 12;
        return samplesFit && bitsFit && info.PixelRepresentation == 0 && info.HighBit == info.BitsStored - 1
            && info.Rows is > 0 and <= 65535 && info.Columns is > 0 and <= 65535 && info.FrameSize <= Array.MaxLength;
    }

    /// <summary>The precision a lossy frame is coded in: 8 bits from 8 allocated, 12 from 16.</summary>
    private static int DctPrecision(PixelDataInfo info) => info.BitsAllocated == 8 ? 8 : 12;

    /// <summary>
    /// Lossy: Bits Stored becomes the coding's precision (a decoded sample may land anywhere in it), and three
    /// components YBR_FULL_422, colour-by-pixel (PS3.5 8.2.1: chroma subsampled 2:1 horizontally). Lossless: as the base.
    /// </summary>
    public override PixelDataInfo GetEncodedInfo(PixelDataInfo native)
    {
        if (!Lossy) return base.GetEncodedInfo(native);
        ArgumentNullException.ThrowIfNull(native);
        if (!CanEncode(native))
            throw new NotSupportedException($"{TransferSyntax.Name} cannot encode {native.SamplesPerPixel} sample(s) of {native.BitsStored} of {native.BitsAllocated} bits ({native.PhotometricInterpretation}{(native.PixelRepresentation == 1 ? ", signed" : "")}).");
        var precision = DctPrecision(native);
        var encoded = native with { BitsStored = precision, HighBit = precision - 1 };
        return native.SamplesPerPixel == 3 ? encoded with { PhotometricInterpretation = "YBR_FULL_422", PlanarConfiguration = 0 } : encoded;
    }

    /// <summary>
    /// One frame. Lossless: in Bits Stored or, when a sample needs more, Bits Allocated (<see cref="JpegFamilyCodec.Planes"/>),
    /// with selection value 1 whichever of the two syntaxes. Lossy: each sample within Bits Stored (bits above it are
    /// not the image), RGB converted to YCbCr, at <see cref="Quality"/>.
    /// </summary>
    public override byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info)
    {
        byte[] encoded;
        if (Lossy)
        {
            var (planes, _) = ReadPlanes(nativeFrame, info, (1 << info.BitsStored) - 1);
            var precision = DctPrecision(info);
            if (info.SamplesPerPixel == 3 && info.PhotometricInterpretation.Trim() == "RGB") DctJpegEncoder.RgbToYbr(planes, precision);
            encoded = DctJpegEncoder.Encode(planes, info.Columns, info.Rows, precision, Quality, baseline: TransferSyntax.Uid == TransferSyntax.JPEGBaseline8Bit.Uid);
        }
        else
        {
            var (planes, precision) = Planes(nativeFrame, info);
            encoded = LosslessJpegEncoder.Encode(planes, info.Columns, info.Rows, precision);
        }
        return (encoded.Length & 1) == 0 ? encoded : [.. encoded, 0];
    }

    public override PixelDataInfo GetDecodedInfo(PixelDataInfo encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        if (encoded.SamplesPerPixel != 3) return encoded;
        var photometric = encoded.PhotometricInterpretation;
        if (Lossy && photometric.StartsWith("YBR", StringComparison.Ordinal)) photometric = "RGB";
        // Subsampled chroma would be upsampled: the native form holds every sample.
        else if (photometric == "YBR_FULL_422") photometric = "YBR_FULL";
        return encoded with { PhotometricInterpretation = photometric, PlanarConfiguration = 0 };
    }

    // The stream's own frame marker decides, not the transfer syntax: files labelled lossless that hold a baseline
    // stream exist, and dcmtk decodes them.
    private protected override DecodedImage Decode(byte[] input, int length, PixelDataInfo info) =>
        FrameMarker(input.AsSpan(0, length)) == 0xC3 ? DecodeLossless(input, length, info) : DecodeDct(input, length, info);

    // The transfer syntax decides the colour conversion, as it decides GetDecodedInfo's attributes.
    private protected override bool ConvertsYbrToRgb(PixelDataInfo info) =>
        Lossy && info.SamplesPerPixel == 3 && info.PhotometricInterpretation.StartsWith("YBR", StringComparison.Ordinal);

    /// <summary>The second byte of the stream's first SOFn marker (C0 baseline, C1 extended, C3 lossless, ...), or 0.</summary>
    internal static int FrameMarker(ReadOnlySpan<byte> jpeg)
    {
        var at = 2;
        while (at + 4 <= jpeg.Length)
        {
            if (jpeg[at] != 0xFF) return 0;
            var marker = jpeg[at + 1];
            if (marker == 0xFF) { at++; continue; }
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC)) return marker;
            if (marker is 0xD8 or (>= 0xD0 and <= 0xD7) or 0x01) { at += 2; continue; }
            at += 2 + (jpeg[at + 2] << 8 | jpeg[at + 3]);
        }
        return 0;
    }

    private DecodedImage DecodeLossless(byte[] input, int length, PixelDataInfo info)
    {
        var decoded = Guarded("lossless JPEG", () => LosslessJpegDecoder.Decode(input, length, d => Check(d.Width, d.Height, d.Components, d.Precision, info)));
        return Planes("lossless JPEG", decoded.Components, decoded.Samples, decoded.Width, decoded.Height, decoded.Precision);
    }

    private DecodedImage DecodeDct(byte[] input, int length, PixelDataInfo info)
    {
        var decoder = new JpegDecoder();
        decoder.SetInput(input.AsMemory(0, length));
        try
        {
            decoder.Identify();
            Check(decoder.Width, decoder.Height, decoder.NumberOfComponents, decoder.Precision, info);
            var writer = new PlaneWriter(decoder.Width, decoder.Height, decoder.NumberOfComponents);
            decoder.SetOutputWriter(writer);
            decoder.Decode();
            var max = (1 << decoder.Precision) - 1;
            for (var c = 0; c < writer.Planes.Length; c++)
            {
                // JpegLibrary repeats subsampled chroma; libjpeg, and so dcmtk, interpolates it ("fancy upsampling").
                var h = decoder.GetMaximumHorizontalSampling() / decoder.GetHorizontalSampling(c);
                var v = decoder.GetMaximumVerticalSampling() / decoder.GetVerticalSampling(c);
                if (h == 2 && v is 1 or 2) FancyUpsampling.Apply(writer.Planes[c], decoder.Width, decoder.Height, v);
                foreach (ref var sample in writer.Planes[c].AsSpan()) sample = Math.Clamp(sample, 0, max);
            }
            return new DecodedImage(writer.Planes, decoder.Width, decoder.Height, decoder.Precision);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or DicomCodecException))
        {
            // JpegLibrary reports malformed streams with several exception types (a missing table can surface as a null
            // reference, a cut stream as an index out of range): every one is this frame's corruption.
            throw new DicomCodecException($"The {TransferSyntax.Name} frame could not be decoded: {e.Message}", e);
        }
    }

    /// <summary>Collects JpegLibrary's 8x8 blocks into full-resolution planes (it repeats subsampled components).</summary>
    private sealed class PlaneWriter(int width, int height, int components) : JpegBlockOutputWriter
    {
        public int[][] Planes { get; } = Enumerable.Range(0, components).Select(_ => new int[width * height]).ToArray();

        public override void WriteBlock(ref short blockRef, int componentIndex, int x, int y)
        {
            if ((uint)componentIndex >= (uint)components) throw new InvalidDataException($"JPEG component {componentIndex + 1} is beyond the frame's {components}.");
            var plane = Planes[componentIndex];
            var rows = Math.Min(8, height - y);
            var columns = Math.Min(8, width - x);
            var block = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref blockRef, 64);
            for (var r = 0; r < rows; r++)
                for (var c = 0; c < columns; c++)
                    plane[(y + r) * width + x + c] = block[r * 8 + c];
        }
    }
}
