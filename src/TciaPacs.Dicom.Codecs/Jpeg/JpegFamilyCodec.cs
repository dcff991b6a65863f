using System.Buffers;

namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// What the JPEG family's codecs (JPEG, JPEG-LS, JPEG 2000) share: a frame copied into an array for the decoder, the
/// decoded image checked against the data set's Image Pixel attributes and written colour-by-pixel; for those that
/// encode (the lossless JPEG and JPEG-LS syntaxes), what they can hold and the native samples as planes.
/// </summary>
public abstract class JpegFamilyCodec(TransferSyntax transferSyntax) : IPixelCodec
{
    public TransferSyntax TransferSyntax { get; } = transferSyntax ?? throw new ArgumentNullException(nameof(transferSyntax));

    /// <summary>The stream's name in error messages ("JPEG", "JPEG-LS").</summary>
    private protected abstract string StreamName { get; }

    public virtual bool CanDecode(PixelDataInfo info) =>
        info.Rows > 0 && info.Columns > 0 && info.SamplesPerPixel is >= 1 and <= 4 && info.BitsAllocated is 8 or 16 && info.FrameSize <= Array.MaxLength;

    public virtual bool CanEncode(PixelDataInfo info) => false;

    public abstract PixelDataInfo GetDecodedInfo(PixelDataInfo encoded);

    /// <summary>For the lossless codings, which keep the attributes but write colour-by-pixel (Planar Configuration 0).</summary>
    public virtual PixelDataInfo GetEncodedInfo(PixelDataInfo native)
    {
        ArgumentNullException.ThrowIfNull(native);
        if (!CanEncode(native))
            throw new NotSupportedException($"{TransferSyntax.Name} cannot encode {native.SamplesPerPixel} sample(s) of {native.BitsStored} of {native.BitsAllocated} bits ({native.PhotometricInterpretation}).");
        return native.SamplesPerPixel > 1 ? native with { PlanarConfiguration = 0 } : native;
    }

    /// <summary>
    /// What the lossless JPEG and JPEG-LS encodings hold in DICOM (PS3.5 8.2.1, 8.2.3): one sample (MONOCHROME1,
    /// MONOCHROME2, PALETTE COLOR; signed or not) or three (RGB, YBR_FULL; unsigned), 8 or 16 bits allocated, 2 to 16
    /// stored from bit 0 (the stream's precision is Bits Stored).
    /// </summary>
    private protected static bool IsLosslessEncodable(PixelDataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var photometric = info.PhotometricInterpretation.Trim();
        var samplesFit = info.SamplesPerPixel switch
        {
            1 => photometric is "MONOCHROME1" or "MONOCHROME2" or "PALETTE COLOR",
            3 => info.PixelRepresentation == 0 && photometric is "RGB" or "YBR_FULL",
            _ => false,
        };
        return samplesFit && info.Rows > 0 && info.Columns > 0 && info.BitsAllocated is 8 or 16
            && info.BitsStored >= 2 && info.BitsStored <= info.BitsAllocated && info.HighBit == info.BitsStored - 1
            && info.FrameSize <= Array.MaxLength;
    }

    /// <summary>
    /// A native frame's samples as one plane per component, and the precision to code them in: Bits Stored when every
    /// sample lies within it, else Bits Allocated, so that what comes back is the frame's bytes exactly whatever the
    /// decoder. Signed samples below 0 are sign-extended above Bits Stored in native data; a stream of Bits Stored
    /// precision would give them back without it (CharLS and libjpeg do not extend), and bits set above Bits Stored
    /// (old overlays, a wrong Bits Stored) would be lost. dcmtk's encoders code Bits Allocated always.
    /// </summary>
    private protected (int[][] Planes, int Precision) Planes(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info)
    {
        var (planes, ored) = ReadPlanes(nativeFrame, info, -1);
        var outside = ~((1 << info.BitsStored) - 1);
        return (planes, (ored & outside) == 0 ? info.BitsStored : info.BitsAllocated);
    }

    /// <summary>
    /// A native frame (checked against what this codec encodes) as one plane per component, each sample ANDed with
    /// <paramref name="mask"/>; and every sample read ORed together, which tells whether any lies outside Bits Stored.
    /// </summary>
    private protected (int[][] Planes, int Ored) ReadPlanes(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info, int mask)
    {
        GetEncodedInfo(info);
        if (nativeFrame.Length < info.FrameSize)
            throw new ArgumentException($"The native frame has {nativeFrame.Length} bytes; it needs {info.FrameSize}.", nameof(nativeFrame));
        int n = info.SamplesPerPixel, bytes = info.BytesAllocated, pixels = info.Columns * info.Rows, ored = 0;
        var planar = info.PlanarConfiguration == 1 && n > 1;
        var planes = new int[n][];
        for (var c = 0; c < n; c++)
        {
            var plane = planes[c] = new int[pixels];
            // Colour-by-pixel: sample c of pixel p at (p n + c); colour-by-plane: plane c, then pixel p.
            int start = planar ? c * pixels : c, step = planar ? 1 : n;
            for (int p = 0, i = start; p < pixels; p++, i += step)
            {
                var v = bytes == 1 ? nativeFrame[i] : nativeFrame[2 * i] | nativeFrame[2 * i + 1] << 8;
                ored |= v;
                plane[p] = v & mask;
            }
        }
        return (planes, ored);
    }

    public virtual byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info) => throw new NotSupportedException($"{TransferSyntax.Name} encoding is not supported.");

    public void DecodeFrame(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!CanDecode(info))
            throw new DicomCodecException($"{TransferSyntax.Name} frames of {info.SamplesPerPixel} samples of {info.BitsAllocated} bits allocated are not supported.");
        var frameSize = (int)info.FrameSize;
        if (destination.Length < frameSize)
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a frame needs {frameSize}.", nameof(destination));
        // The decoders read from an array: the frame is copied in.
        var input = ArrayPool<byte>.Shared.Rent(encodedFrame.Length);
        try
        {
            encodedFrame.CopyTo(input);
            var image = Decode(input, TrimmedLength(encodedFrame), info);
            destination[..frameSize].Clear();
            image.WriteTo(destination, info, ConvertsYbrToRgb(info));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    /// <summary>Decodes <paramref name="input"/>[0..<paramref name="length"/>), checking the stream's header with <see cref="Check"/> before allocating.</summary>
    private protected abstract DecodedImage Decode(byte[] input, int length, PixelDataInfo info);

    /// <summary>Whether the decoded YCbCr samples become RGB (as <see cref="GetDecodedInfo"/> says).</summary>
    private protected virtual bool ConvertsYbrToRgb(PixelDataInfo info) => false;

    /// <summary>
    /// The stream's image against the data set's attributes. A smaller image goes in the frame's top-left corner: the
    /// edge tiles of some whole-slide encoders are cut to the slide (dcmtk packs such a tile's rows at the frame's start).
    /// </summary>
    private protected void Check(int width, int height, int components, int precision, PixelDataInfo info)
    {
        if (width > info.Columns || height > info.Rows || width == 0 || height == 0)
            throw new DicomCodecException($"The {StreamName} frame is {width}x{height}; the data set says {info.Columns}x{info.Rows} (Columns x Rows).");
        if (components != info.SamplesPerPixel)
            throw new DicomCodecException($"The {StreamName} frame has {components} components; Samples per Pixel is {info.SamplesPerPixel}.");
        if (precision > info.BitsAllocated || precision < 2)
            throw new DicomCodecException($"The {StreamName} frame has {precision}-bit samples; Bits Allocated is {info.BitsAllocated}.");
    }

    /// <summary>
    /// Runs a stream decoder, turning what a corrupt stream makes it throw (an index or length out of range) into a
    /// <see cref="DicomCodecException"/> naming the stream.
    /// </summary>
    private protected static T Guarded<T>(string stream, Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or InvalidOperationException)
        {
            throw new DicomCodecException($"The {stream} stream is corrupt: {e.Message}", e);
        }
    }

    /// <summary>The decoded image of a decoder that keeps one plane per component, each of which must have had a scan.</summary>
    private protected static DecodedImage Planes(string stream, int components, Func<int, int[]> samples, int width, int height, int precision)
    {
        var planes = new int[components][];
        for (var c = 0; c < planes.Length; c++)
            planes[c] = samples(c) is { Length: > 0 } plane ? plane : throw new DicomCodecException($"The {stream} stream has no scan for component {c + 1}.");
        return new DecodedImage(planes, width, height, precision);
    }

    /// <summary>The frame without the padding after its EOI marker (fragments have even length, PS3.5 A.4).</summary>
    private static int TrimmedLength(ReadOnlySpan<byte> frame)
    {
        var n = frame.Length;
        while (n > 2 && frame[n - 1] == 0 && !(frame[n - 2] == 0xFF && frame[n - 1] == 0xD9)) n--;
        return n;
    }

    /// <summary>
    /// A frame header's body (T.81 B.2.2, whose layout T.87's SOF55 shares): precision, lines, samples per line and
    /// the component identifiers. Subsampled components are refused; a zero size is left to the caller (DNL, LSE).
    /// </summary>
    internal static (int Precision, int Height, int Width, byte[] Ids) FrameHeader(ReadOnlySpan<byte> s, string stream)
    {
        if (s.Length < 6) throw new DicomCodecException($"The {stream} stream is corrupt: its frame header is cut off.");
        int precision = s[0], height = s[1] << 8 | s[2], width = s[3] << 8 | s[4], n = s[5];
        if (precision is < 2 or > 16) throw new DicomCodecException($"The {stream} stream is corrupt: its sample precision is {precision} bits (2 to 16 allowed).");
        if (n == 0 || s.Length < 6 + 3 * n) throw new DicomCodecException($"The {stream} stream is corrupt: its frame header is invalid.");
        var ids = new byte[n];
        for (var i = 0; i < n; i++)
        {
            ids[i] = s[6 + 3 * i];
            if (s[7 + 3 * i] != 0x11)
                throw new DicomCodecException($"The {stream} stream subsamples component {i + 1} (sampling factors {s[7 + 3 * i] >> 4}x{s[7 + 3 * i] & 15}), which is not supported.");
        }
        return (precision, height, width, ids);
    }

    /// <summary>A marker segment's body at <paramref name="at"/> (its 2-byte length first), which <paramref name="at"/> then passes.</summary>
    internal static ReadOnlySpan<byte> Segment(byte[] data, ref int at, int length, string stream)
    {
        if (at + 2 > length) throw new DicomCodecException($"The {stream} stream is corrupt: a marker segment is cut off.");
        var segmentLength = data[at] << 8 | data[at + 1];
        if (segmentLength < 2 || at + segmentLength > length)
            throw new DicomCodecException($"The {stream} stream is corrupt: a marker segment's length ({segmentLength}) runs past the stream's end.");
        var body = data.AsSpan(at + 2, segmentLength - 2);
        at += segmentLength;
        return body;
    }
}

/// <summary>A decoded image: one full-resolution plane per component, samples in their precision's low bits.</summary>
internal sealed record DecodedImage(int[][] Samples, int Width, int Height, int Precision)
{
    /// <summary>Writes the image colour-by-pixel into the frame's top-left corner, in 1 or 2 bytes per sample.</summary>
    public void WriteTo(Span<byte> frame, PixelDataInfo info, bool convertYbr)
    {
        var bytes = info.BitsAllocated == 8 ? 1 : 2;
        var max = (1 << Precision) - 1;
        var n = Samples.Length;
        Span<int> pixel = stackalloc int[n];
        for (var y = 0; y < Height; y++)
        {
            var at = y * info.Columns * n * bytes;
            for (var x = 0; x < Width; x++)
            {
                var i = y * Width + x;
                for (var c = 0; c < n; c++) pixel[c] = Samples[c][i] & max;
                if (convertYbr) YbrToRgb(pixel, max);
                for (var c = 0; c < n; c++, at += bytes)
                {
                    frame[at] = (byte)pixel[c];
                    if (bytes == 2) frame[at + 1] = (byte)(pixel[c] >> 8);
                }
            }
        }
    }

    /// <summary>
    /// JFIF's full-range YCbCr to RGB (ITU-T T.871; PS3.3 C.7.6.3.1.2 YBR_FULL) in libjpeg's 16-bit fixed point
    /// (jdcolor.c), so that the result is dcmtk's to the last bit.
    /// </summary>
    private static void YbrToRgb(Span<int> p, int max)
    {
        const int OneHalf = 1 << 15;
        static long Fix(double x) => (long)(x * 65536 + 0.5);
        var half = (max + 1) / 2;
        long y = p[0], cb = p[1] - half, cr = p[2] - half;
        p[0] = (int)Math.Clamp(y + ((Fix(1.40200) * cr + OneHalf) >> 16), 0, max);
        p[1] = (int)Math.Clamp(y + ((-Fix(0.34414) * cb - Fix(0.71414) * cr + OneHalf) >> 16), 0, max);
        p[2] = (int)Math.Clamp(y + ((Fix(1.77200) * cb + OneHalf) >> 16), 0, max);
    }
}
