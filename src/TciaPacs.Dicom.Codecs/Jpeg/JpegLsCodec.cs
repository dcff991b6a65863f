namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// Decodes JPEG-LS Lossless (1.2.840.10008.1.2.4.80) and Near-Lossless (4.81) frames (PS3.5 A.4.3) with
/// <see cref="JpegLsDecoder"/>, and encodes Lossless frames with <see cref="JpegLsEncoder"/>. Samples are written in
/// Bits Allocated (8 or 16 bits, little endian), colour-by-pixel; JPEG-LS applies no colour transform in DICOM, so the
/// attributes do not change, except Planar Configuration, which is 0 in JPEG-LS (PS3.5 8.2.3).
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

    /// <summary>
    /// What PS3.5 8.2.3 allows in JPEG-LS Lossless: one sample (MONOCHROME1, MONOCHROME2, PALETTE COLOR, signed or
    /// not) or three (RGB; YBR_FULL of 8 bits), unsigned, 8 or 16 bits allocated, 2 to 16 stored from bit 0 (the
    /// stream's precision is Bits Stored).
    /// </summary>
    public override bool CanEncode(PixelDataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!TransferSyntax.Equals(TransferSyntax.JPEGLSLossless)) return false;
        var photometric = info.PhotometricInterpretation.Trim();
        var samplesFit = info.SamplesPerPixel switch
        {
            1 => photometric is "MONOCHROME1" or "MONOCHROME2" or "PALETTE COLOR",
            3 => info.PixelRepresentation == 0 && (photometric == "RGB" || photometric == "YBR_FULL" && info.BitsAllocated == 8),
            _ => false,
        };
        return samplesFit && info.Rows > 0 && info.Columns > 0 && info.BitsAllocated is 8 or 16
            && info.BitsStored >= 2 && info.BitsStored <= info.BitsAllocated && info.HighBit == info.BitsStored - 1
            && info.FrameSize <= Array.MaxLength;
    }

    public override PixelDataInfo GetEncodedInfo(PixelDataInfo native)
    {
        ArgumentNullException.ThrowIfNull(native);
        if (!CanEncode(native)) throw new NotSupportedException($"{TransferSyntax.Name} cannot encode {native.SamplesPerPixel} sample(s) of {native.BitsStored} of {native.BitsAllocated} bits ({native.PhotometricInterpretation}).");
        return native.SamplesPerPixel > 1 ? native with { PlanarConfiguration = 0 } : native;
    }

    /// <summary>
    /// Encodes one frame losslessly. Signed samples are coded in their Bits Stored (two's complement, sign bits above
    /// dropped), as CharLS takes them; a sample whose bits above Bits Stored are anything else could not come back,
    /// and is refused with an error rather than lost.
    /// </summary>
    public override byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        GetEncodedInfo(info);
        if (nativeFrame.Length < info.FrameSize)
            throw new ArgumentException($"The native frame has {nativeFrame.Length} bytes; it needs {info.FrameSize}.", nameof(nativeFrame));
        int width = info.Columns, height = info.Rows, n = info.SamplesPerPixel, bytes = info.BytesAllocated;
        var pixels = width * height;
        var mask = (1 << info.BitsStored) - 1;
        var signed = info.PixelRepresentation == 1 && info.BitsStored < info.BitsAllocated;
        var all = info.BitsAllocated == 16 ? 0xFFFF : 0xFF;
        var planes = new int[n][];
        for (var c = 0; c < n; c++)
        {
            var plane = planes[c] = new int[pixels];
            // Colour-by-pixel: sample c of pixel p at (p n + c); colour-by-plane: plane c, then pixel p.
            int start = info.PlanarConfiguration == 1 && n > 1 ? c * pixels : c, step = info.PlanarConfiguration == 1 && n > 1 ? 1 : n;
            for (int p = 0, i = start; p < pixels; p++, i += step)
            {
                var v = bytes == 1 ? nativeFrame[i] : nativeFrame[2 * i] | nativeFrame[2 * i + 1] << 8;
                var low = v & mask;
                // Unsigned: nothing above Bits Stored. Signed: the sign bit repeated above it (or zeros).
                var fits = v == low || signed && (low & (mask + 1) >> 1) != 0 && (v | mask) == all;
                if (!fits)
                    throw new DicomCodecException($"Sample {c + 1} of pixel ({p % width}, {p / width}) is 0x{v:X} and does not fit in its {info.BitsStored} stored bits: JPEG-LS would lose the bits above them.");
                plane[p] = low;
            }
        }
        var encoded = JpegLsEncoder.Encode(planes, width, height, info.BitsStored);
        return (encoded.Length & 1) == 0 ? encoded : [.. encoded, 0];
    }

    private protected override DecodedImage Decode(byte[] input, int length, PixelDataInfo info)
    {
        var decoded = Guarded(StreamName, () => JpegLsDecoder.Decode(input, length, d => Check(d.Width, d.Height, d.Components, d.Precision, info)));
        return Planes(StreamName, decoded.Components, decoded.Samples, decoded.Width, decoded.Height, decoded.Precision);
    }
}
