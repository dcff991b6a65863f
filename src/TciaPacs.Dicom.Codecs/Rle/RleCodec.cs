using System.Buffers;
using System.Buffers.Binary;

namespace TciaPacs.Dicom.Codecs.Rle;

/// <summary>
/// RLE Lossless (PS3.5 Annex G), managed. A frame is a 64-byte header (G.5: the number of segments, then up to 15
/// segment offsets) and one PackBits segment per byte of each sample: segment 1 holds the most significant byte of
/// sample 1 of every pixel, and so on (G.2). The segments are colour-by-plane whatever Planar Configuration says; the
/// native side is read and written in the data set's Planar Configuration (PS3.3 C.7.6.3.1.3), as dcmtk does.
/// </summary>
public sealed class RleCodec : IPixelCodec
{
    /// <summary>PS3.5 G.5: the header has room for 15 segment offsets.</summary>
    public const int MaxSegments = 15;

    public const int HeaderLength = 64;

    public TransferSyntax TransferSyntax => TransferSyntax.RLELossless;

    public bool CanDecode(PixelDataInfo info) => IsSupported(info);

    public bool CanEncode(PixelDataInfo info) => IsSupported(info);

    /// <summary>RLE is lossless and applies no colour transform (PS3.5 8.2.2): the attributes are unchanged.</summary>
    public PixelDataInfo GetDecodedInfo(PixelDataInfo encoded) => encoded;

    public PixelDataInfo GetEncodedInfo(PixelDataInfo native) => native;

    private static bool IsSupported(PixelDataInfo info) =>
        info.Rows > 0 && info.Columns > 0 && info.SamplesPerPixel >= 1 && info.BitsAllocated >= 8 && info.BitsAllocated % 8 == 0
        && (long)info.BytesAllocated * info.SamplesPerPixel <= MaxSegments && info.FrameSize <= Array.MaxLength;

    private static void CheckSupported(PixelDataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.BitsAllocated < 8 || info.BitsAllocated % 8 != 0)
            throw new DicomCodecException($"RLE Lossless needs Bits Allocated to be a multiple of 8 (PS3.5 G.2); it is {info.BitsAllocated}.");
        if ((long)info.BytesAllocated * info.SamplesPerPixel > MaxSegments)
            throw new DicomCodecException($"RLE Lossless holds at most {MaxSegments} segments (PS3.5 G.5); {info.SamplesPerPixel} samples of {info.BitsAllocated} bits need {info.BytesAllocated * info.SamplesPerPixel}.");
        if (!IsSupported(info))
            throw new DicomCodecException($"RLE Lossless cannot code {info.Rows}x{info.Columns} frames of {info.FrameSize} bytes.");
    }

    /// <summary>Where a segment's bytes go in the native frame: the first byte's index and the distance between pixels.</summary>
    private static (int Start, int Stride) Layout(PixelDataInfo info, int segment)
    {
        var bytes = info.BytesAllocated;
        var sample = segment / bytes;
        // Segments run from the most significant byte (G.2); native samples are little endian.
        var byteInSample = bytes - 1 - segment % bytes;
        var planar = info.SamplesPerPixel > 1 && info.PlanarConfiguration == 1;
        return planar
            ? (checked(sample * (int)info.PixelsPerFrame * bytes + byteInSample), bytes)
            : (sample * bytes + byteInSample, bytes * info.SamplesPerPixel);
    }

    public void DecodeFrame(ReadOnlySpan<byte> encodedFrame, PixelDataInfo info, Span<byte> destination)
    {
        CheckSupported(info);
        var frameSize = (int)info.FrameSize;
        if (destination.Length < frameSize)
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a frame needs {frameSize}.", nameof(destination));
        var segments = info.BytesAllocated * info.SamplesPerPixel;
        Span<int> offsets = stackalloc int[MaxSegments + 1];
        ReadHeader(encodedFrame, segments, offsets);

        var pixels = (int)info.PixelsPerFrame;
        byte[]? scratch = null;
        try
        {
            for (var s = 0; s < segments; s++)
            {
                var (start, stride) = Layout(info, s);
                var source = encodedFrame[offsets[s]..offsets[s + 1]];
                if (stride == 1)
                {
                    PackBits.Decode(source, destination.Slice(start, pixels), s);
                    continue;
                }
                scratch ??= ArrayPool<byte>.Shared.Rent(pixels);
                var plane = scratch.AsSpan(0, pixels);
                PackBits.Decode(source, plane, s);
                Scatter(plane, destination[..frameSize], start, stride);
            }
        }
        finally
        {
            if (scratch != null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Checks the header (PS3.5 G.5) and fills <paramref name="offsets"/> with each segment's start, then the frame's end.</summary>
    private static void ReadHeader(ReadOnlySpan<byte> frame, int expected, Span<int> offsets)
    {
        if (frame.Length < HeaderLength)
            throw new DicomCodecException($"The RLE frame has {frame.Length} bytes, fewer than its {HeaderLength}-byte header (PS3.5 G.5).");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(frame);
        if (count is 0 or > MaxSegments)
            throw new DicomCodecException($"The RLE header declares {count} segments; PS3.5 G.5 allows 1 to {MaxSegments}.");
        if (count != expected)
            throw new DicomCodecException($"The RLE header declares {count} segments but the image needs {expected} (one per byte of each sample, PS3.5 G.2).");
        for (var s = 0; s < expected; s++)
        {
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(frame[(4 + 4 * s)..]);
            if (offset < HeaderLength || offset > (uint)frame.Length)
                throw new DicomCodecException($"RLE segment {s + 1} starts at byte {offset}, outside the {frame.Length}-byte frame after its header (PS3.5 G.5).");
            if (s > 0 && offset < offsets[s - 1])
                throw new DicomCodecException($"RLE segment {s + 1} starts at byte {offset}, before segment {s} (byte {offsets[s - 1]}): segments are stored in order (PS3.5 G.5).");
            offsets[s] = (int)offset;
        }
        offsets[expected] = frame.Length;
    }

    private static void Scatter(ReadOnlySpan<byte> plane, Span<byte> frame, int start, int stride)
    {
        if ((long)start + (long)(plane.Length - 1) * stride >= frame.Length)
            throw new InvalidOperationException("Segment layout exceeds the frame.");
        var d = start;
        for (var p = 0; p < plane.Length; p++, d += stride) frame[d] = plane[p];
    }

    /// <summary>The most bytes <see cref="EncodeFrame(ReadOnlySpan{byte}, PixelDataInfo, Span{byte})"/> can write for a frame.</summary>
    public static long GetMaxEncodedLength(PixelDataInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var segments = (long)info.BytesAllocated * info.SamplesPerPixel;
        return HeaderLength + segments * (info.Rows * PackBits.MaxEncodedLength(info.Columns) + 1);
    }

    public byte[] EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info)
    {
        CheckSupported(info);
        var max = GetMaxEncodedLength(info);
        if (max > Array.MaxLength) throw new DicomCodecException($"An RLE frame of {info.Rows}x{info.Columns} could take {max} bytes, more than an array holds.");
        var buffer = ArrayPool<byte>.Shared.Rent((int)max);
        try
        {
            var length = EncodeFrame(nativeFrame, info, buffer);
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Encodes one native frame into <paramref name="destination"/> (at least <see cref="GetMaxEncodedLength"/> bytes)
    /// without allocating; returns the bytes written, always even (segments are padded with a zero byte, PS3.5 G.3.1).
    /// </summary>
    public int EncodeFrame(ReadOnlySpan<byte> nativeFrame, PixelDataInfo info, Span<byte> destination)
    {
        CheckSupported(info);
        var frameSize = (int)info.FrameSize;
        if (nativeFrame.Length < frameSize)
            throw new ArgumentException($"The native frame has {nativeFrame.Length} bytes; {info.Rows}x{info.Columns}x{info.SamplesPerPixel} samples of {info.BitsAllocated} bits need {frameSize}.", nameof(nativeFrame));
        if (destination.Length < GetMaxEncodedLength(info))
            throw new ArgumentException($"The destination holds {destination.Length} bytes; encoding may need {GetMaxEncodedLength(info)}.", nameof(destination));
        nativeFrame = nativeFrame[..frameSize];
        var segments = info.BytesAllocated * info.SamplesPerPixel;
        destination[..HeaderLength].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)segments);
        var columns = info.Columns;
        var position = HeaderLength;
        byte[]? row = null;
        try
        {
            for (var s = 0; s < segments; s++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(destination[(4 + 4 * s)..], (uint)position);
                var (start, stride) = Layout(info, s);
                for (var r = 0; r < info.Rows; r++)
                {
                    var first = start + r * columns * stride;
                    ReadOnlySpan<byte> source;
                    if (stride == 1) source = nativeFrame.Slice(first, columns);
                    else
                    {
                        row ??= ArrayPool<byte>.Shared.Rent(columns);
                        var gathered = row.AsSpan(0, columns);
                        for (int c = 0, i = first; c < columns; c++, i += stride) gathered[c] = nativeFrame[i];
                        source = gathered;
                    }
                    position += PackBits.EncodeRow(source, destination[position..]);
                }
                if ((position & 1) == 1) destination[position++] = 0;
            }
        }
        finally
        {
            if (row != null) ArrayPool<byte>.Shared.Return(row);
        }
        return position;
    }
}
