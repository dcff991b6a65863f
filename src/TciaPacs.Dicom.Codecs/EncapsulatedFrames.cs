using System.Buffers.Binary;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// The frames of encapsulated pixel data (PS3.5 A.4): which fragments each frame spans, found from the Extended Offset
/// Table, the Basic Offset Table, or (without either) the fragment count and end-of-image markers. A frame's bytes are
/// read on demand, so fragments left in the file are loaded one frame at a time.
/// </summary>
public sealed class EncapsulatedFrames
{
    private readonly IReadOnlyList<DicomBuffer> _fragments;
    private readonly int[] _firstFragment; // frame i spans fragments [_firstFragment[i], _firstFragment[i + 1])
    private readonly ulong[]? _lengths;    // Extended Offset Table Lengths, when given

    /// <param name="pixelData">The encapsulated Pixel Data element.</param>
    /// <param name="numberOfFrames">Number of Frames (0028,0008), 1 when absent.</param>
    /// <param name="extendedOffsets">The raw value of Extended Offset Table (7FE0,0001), if any.</param>
    /// <param name="extendedLengths">The raw value of Extended Offset Table Lengths (7FE0,0002), if any.</param>
    public EncapsulatedFrames(DicomFragmentSequence pixelData, int numberOfFrames, ReadOnlySpan<byte> extendedOffsets = default, ReadOnlySpan<byte> extendedLengths = default)
    {
        ArgumentNullException.ThrowIfNull(pixelData);
        ArgumentOutOfRangeException.ThrowIfLessThan(numberOfFrames, 1);
        _fragments = pixelData.Fragments;
        if (_fragments.Count == 0) throw new DicomCodecException("The encapsulated pixel data has no fragments (PS3.5 A.4).");
        var starts = ItemStarts(_fragments);

        if (extendedOffsets.Length >= 8 && ReadOffsets(extendedOffsets, 8) is var eot && MapOffsets(eot, starts) is { } fromEot)
        {
            (_firstFragment, Mapping) = (fromEot, FrameMapping.ExtendedOffsetTable);
            var lengths = ReadOffsets(extendedLengths, 8);
            if (lengths.Length == eot.Length) _lengths = lengths;
        }
        else if (pixelData.OffsetTable.Length >= 4
                 && ReadOffsets(pixelData.OffsetTable.GetBytes().Span, 4) is { } bot && bot.Length == numberOfFrames
                 && MapOffsets(bot, starts) is { } fromBot)
        {
            (_firstFragment, Mapping) = (fromBot, FrameMapping.BasicOffsetTable);
        }
        else (_firstFragment, Mapping) = Guess(_fragments, numberOfFrames);
    }

    /// <summary>The frames of the Pixel Data of <paramref name="dataset"/>, which must be encapsulated.</summary>
    public static EncapsulatedFrames FromDataset(DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.Get(DicomTags.PixelData) is not DicomFragmentSequence pixelData)
            throw new DicomCodecException("The data set has no encapsulated Pixel Data (7FE0,0010).");
        var frames = PixelDataInfo.ReadNumberOfFrames(dataset);
        return new EncapsulatedFrames(pixelData, frames, dataset.GetBytes(DicomTags.ExtendedOffsetTable).Span, dataset.GetBytes(DicomTags.ExtendedOffsetTableLengths).Span);
    }

    public FrameMapping Mapping { get; }

    public int Count => _firstFragment.Length - 1;

    /// <summary>The fragments holding frame <paramref name="frame"/> (0-based), in order.</summary>
    public IReadOnlyList<DicomBuffer> GetFragments(int frame)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, Count);
        var first = _firstFragment[frame];
        var list = new DicomBuffer[_firstFragment[frame + 1] - first];
        for (var i = 0; i < list.Length; i++) list[i] = _fragments[first + i];
        return list;
    }

    /// <summary>
    /// The encoded bytes of frame <paramref name="frame"/> (0-based): its fragments concatenated, cut to the Extended
    /// Offset Table length when there is one. A frame in one fragment held in memory is returned without copying.
    /// </summary>
    public ReadOnlyMemory<byte> GetFrame(int frame)
    {
        var fragments = GetFragments(frame);
        ReadOnlyMemory<byte> bytes;
        if (fragments.Count == 1) bytes = fragments[0].GetBytes();
        else
        {
            var total = fragments.Sum(f => f.Length);
            if (total > Array.MaxLength) throw new DicomCodecException($"Frame {frame + 1} has {total} encoded bytes, more than an array holds.");
            var joined = new byte[total];
            var at = 0;
            using var reader = new FileBufferReader();
            foreach (var f in fragments)
            {
                if (f is FileBuffer { SwapUnit: 1 } file) reader.Read(file, 0, joined.AsSpan(at, (int)f.Length));
                else f.GetBytes().Span.CopyTo(joined.AsSpan(at));
                at += (int)f.Length;
            }
            bytes = joined;
        }
        if (_lengths != null && _lengths[frame] < (ulong)bytes.Length) bytes = bytes[..(int)_lengths[frame]];
        return bytes;
    }

    /// <summary>Offsets of each fragment's item tag from the first fragment's (PS3.5 A.4): 8 bytes of header per item.</summary>
    private static long[] ItemStarts(IReadOnlyList<DicomBuffer> fragments)
    {
        var starts = new long[fragments.Count + 1];
        for (var i = 0; i < fragments.Count; i++) starts[i + 1] = starts[i] + 8 + fragments[i].Length;
        return starts;
    }

    private static ulong[] ReadOffsets(ReadOnlySpan<byte> raw, int size)
    {
        var offsets = new ulong[raw.Length / size];
        for (var i = 0; i < offsets.Length; i++)
            offsets[i] = size == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(raw[(i * 8)..]) : BinaryPrimitives.ReadUInt32LittleEndian(raw[(i * 4)..]);
        return offsets;
    }

    /// <summary>Frame boundaries as fragment indices, or null when the table does not start at 0, is not ascending or points between items.</summary>
    private static int[]? MapOffsets(ulong[] offsets, long[] starts)
    {
        if (offsets.Length == 0 || offsets[0] != 0) return null;
        var map = new int[offsets.Length + 1];
        var fragment = 0;
        for (var f = 0; f < offsets.Length; f++)
        {
            if (offsets[f] > long.MaxValue) return null;
            var i = Array.BinarySearch(starts, fragment, starts.Length - 1 - fragment, (long)offsets[f]);
            if (i < 0 || (f > 0 && i <= map[f - 1])) return null;
            map[f] = fragment = i;
        }
        map[offsets.Length] = starts.Length - 1;
        return map;
    }

    /// <summary>Frame boundaries without an offset table, following pydicom's generate_frames.</summary>
    private static (int[], FrameMapping) Guess(IReadOnlyList<DicomBuffer> fragments, int frames)
    {
        var n = fragments.Count;
        if (n == frames) return (Enumerable.Range(0, n + 1).ToArray(), FrameMapping.OneFragmentPerFrame);
        if (frames == 1) return ([0, n], FrameMapping.SingleFrame);
        if (n < frames)
            throw new DicomCodecException($"The encapsulated pixel data has {n} fragments for {frames} frames and no offset table: it cannot be split into frames (PS3.5 A.4).");
        var map = new List<int> { 0 };
        // One handle for all the fragments' tails: a cine may have thousands of fragments left in its file.
        using var reader = new FileBufferReader();
        for (var i = 0; i < n; i++)
            if (EndsWithEndOfImage(fragments[i], reader) && i + 1 < n) map.Add(i + 1);
        map.Add(n);
        return (map.ToArray(), FrameMapping.EndOfImageMarkers);
    }

    /// <summary>JPEG EOI and JPEG 2000 EOC are both FFD9; padding may follow it, so the last 10 bytes are searched.</summary>
    private static bool EndsWithEndOfImage(DicomBuffer fragment, FileBufferReader reader)
    {
        Span<byte> tail = stackalloc byte[10];
        var length = (int)Math.Min(10, fragment.Length);
        tail = tail[..length];
        if (fragment is FileBuffer { SwapUnit: 1 } file) reader.Read(file, file.Length - length, tail);
        else fragment.GetBytes().Span[^length..].CopyTo(tail);
        return tail.IndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0;
    }
}
