namespace TciaPacs.Dicom.Codecs.Rle;

/// <summary>
/// The byte-level run-length scheme of one RLE segment (PS3.5 G.3): a header byte n, then n+1 literal bytes when n is
/// 0..127, one byte repeated 1-n times when n is -1..-127, nothing when n is -128.
/// </summary>
internal static class PackBits
{
    /// <summary>Bytes that encoding <paramref name="length"/> bytes can take at worst: one header per 128 literals, plus one.</summary>
    public static long MaxEncodedLength(long length) => length + (length + 127) / 128 + 1;

    /// <summary>
    /// Fills <paramref name="destination"/> exactly from <paramref name="source"/>. Bytes left once it is full (a pad byte
    /// or trailing garbage) are ignored, as dcmtk does; running out of input or a run past the end is corrupt data.
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> source, Span<byte> destination, int segment)
    {
        int i = 0, o = 0;
        while (o < destination.Length)
        {
            if (i >= source.Length)
                throw new DicomCodecException($"RLE segment {segment + 1} is truncated: it decodes to {o} of the {destination.Length} bytes a segment holds (PS3.5 G.3.2).");
            int n = (sbyte)source[i++];
            if (n >= 0)
            {
                var length = n + 1;
                if (length > source.Length - i)
                    throw new DicomCodecException($"RLE segment {segment + 1} is truncated: a literal run of {length} bytes at byte {i - 1} has only {source.Length - i} bytes left.");
                if (length > destination.Length - o)
                    throw new DicomCodecException($"RLE segment {segment + 1} is corrupt: a literal run of {length} bytes at byte {i - 1} overruns the {destination.Length} bytes of the segment.");
                source.Slice(i, length).CopyTo(destination[o..]);
                i += length;
                o += length;
            }
            else if (n != -128)
            {
                var length = 1 - n;
                if (i >= source.Length)
                    throw new DicomCodecException($"RLE segment {segment + 1} is truncated: a replicate run at byte {i - 1} has no byte to repeat.");
                if (length > destination.Length - o)
                    throw new DicomCodecException($"RLE segment {segment + 1} is corrupt: a replicate run of {length} bytes at byte {i - 1} overruns the {destination.Length} bytes of the segment.");
                destination.Slice(o, length).Fill(source[i++]);
                o += length;
            }
        }
    }

    /// <summary>
    /// Encodes one row (PS3.5 G.3.1: runs never cross a row). Three or more equal bytes become a replicate run; shorter
    /// repeats stay in the surrounding literal run, which keeps the output within <see cref="MaxEncodedLength"/>.
    /// Returns the bytes written.
    /// </summary>
    public static int EncodeRow(ReadOnlySpan<byte> row, Span<byte> destination)
    {
        int i = 0, o = 0, n = row.Length;
        while (i < n)
        {
            var b = row[i];
            var limit = Math.Min(128, n - i);
            var run = 1;
            while (run < limit && row[i + run] == b) run++;
            if (run >= 3)
            {
                destination[o++] = (byte)(1 - run);
                destination[o++] = b;
                i += run;
                continue;
            }
            var start = i++;
            while (i < n && i - start < 128)
            {
                if (i + 2 < n && row[i] == row[i + 1] && row[i] == row[i + 2]) break;
                i++;
            }
            var length = i - start;
            destination[o++] = (byte)(length - 1);
            row.Slice(start, length).CopyTo(destination[o..]);
            o += length;
        }
        return o;
    }
}
