namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// Encodes a lossless JPEG stream (ITU-T T.81 Annex H, process 14) with predictor 1 and no point transform, the coding
/// of DICOM's JPEG Lossless SV1 transfer syntax (PS3.5 A.4.1, 1.2.840.10008.1.2.4.70), which JPEG Lossless
/// (4.57) holds too: one scan, the components interleaved sample by sample, one Huffman table made for the frame's
/// differences (T.81 K.2), no restart intervals. <see cref="LosslessJpegDecoder"/> reads it back.
/// </summary>
internal static class LosslessJpegEncoder
{
    /// <summary>Magnitude categories 0 to 16 (T.81 H.1.2.2: 16 stands for a difference of 32768 and has no extra bits).</summary>
    private const int Categories = 17;

    /// <summary>
    /// The stream of an image given as one plane per component (<paramref name="width"/> x <paramref name="height"/>
    /// samples each, row by row, every sample within 0..2^<paramref name="precision"/> - 1).
    /// </summary>
    public static byte[] Encode(int[][] planes, int width, int height, int precision)
    {
        ArgumentNullException.ThrowIfNull(planes);
        if (planes.Length is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(planes), "A lossless JPEG scan holds 1 to 4 components.");
        if (width is < 1 or > 65535 || height is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(width), "JPEG frame headers hold sizes of 1 to 65535.");
        if (precision is < 2 or > 16) throw new ArgumentOutOfRangeException(nameof(precision), "Lossless JPEG samples have 2 to 16 bits.");
        var n = planes.Length;
        var pixels = width * height;
        // The differences first (H.1.2.1 predictions, modulo 2^16), counted by category for the Huffman table.
        var differences = new int[n][];
        Span<long> frequencies = stackalloc long[Categories];
        for (var c = 0; c < n; c++)
        {
            var plane = planes[c];
            var d = differences[c] = new int[pixels];
            // H.1.2.1: 2^(P-1) for the first sample, Ra on the first line, Rb at the start of each other line, else Ra
            // (selection value 1).
            for (var p = 0; p < pixels; p++)
            {
                var prediction = p == 0 ? 1 << (precision - 1) : p >= width && p % width == 0 ? plane[p - width] : plane[p - 1];
                var difference = (plane[p] - prediction) & 0xFFFF;
                if (difference > 32768) difference -= 65536;
                d[p] = difference;
                frequencies[Category(difference)]++;
            }
        }
        var (bits, values) = HuffmanTable(frequencies);
        var codes = Codes(bits, values);

        var writer = new JpegBitWriter(64 + pixels * n * (precision + 7) / 8 / 2);
        writer.WriteMarker(0xD8); // SOI
        writer.WriteFrameHeader(0xC3, precision, height, width, n); // SOF3 (T.81 B.2.2)
        // DHT (B.2.4.2): one DC-class table, 0.
        writer.WriteMarker(0xC4);
        writer.WriteUInt16(2 + 17 + values.Length);
        writer.WriteByte(0x00);
        for (var l = 1; l <= 16; l++) writer.WriteByte((byte)bits[l]);
        foreach (var v in values) writer.WriteByte(v);
        // SOS (B.2.3): every component, table 0; Ss = predictor 1, Se = 0, Ah/Al = 0 (no point transform).
        writer.WriteMarker(0xDA);
        writer.WriteUInt16(6 + 2 * n);
        writer.WriteByte((byte)n);
        for (var c = 0; c < n; c++)
        {
            writer.WriteByte((byte)(c + 1));
            writer.WriteByte(0x00);
        }
        writer.WriteByte(1);
        writer.WriteByte(0);
        writer.WriteByte(0);
        for (var p = 0; p < pixels; p++)
            for (var c = 0; c < n; c++)
            {
                var difference = differences[c][p];
                var t = Category(difference);
                var (code, length) = codes[t];
                // F.1.2.1.1: the code, then the extra bits, a negative difference as difference - 1 in t bits; none for
                // 0 and 32768. One write: a code has at most 16 bits, the extra bits at most 15.
                if (t is > 0 and < 16) writer.Write(code << t | ((difference < 0 ? difference - 1 : difference) & ((1 << t) - 1)), length + t);
                else writer.Write(code, length);
            }
        writer.EndEntropyCodedData();
        writer.WriteMarker(0xD9); // EOI
        return writer.ToArray();
    }

    private static int Category(int difference) =>
        difference == 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)Math.Abs(difference));

    /// <summary>
    /// A Huffman table for these category frequencies by the procedure of T.81 K.2: code lengths from merging the two
    /// least frequent, with one reserved code point so that no code is all ones, then limited to 16 bits.
    /// Returns BITS (codes of each length, index 1 to 16) and HUFFVAL.
    /// </summary>
    internal static (int[] Bits, byte[] Values) HuffmanTable(ReadOnlySpan<long> frequencies)
    {
        var symbols = frequencies.Length + 1; // the last: the reserved code point
        var freq = new long[symbols];
        frequencies.CopyTo(freq);
        freq[^1] = 1;
        var codeSize = new int[symbols];
        var others = new int[symbols];
        Array.Fill(others, -1);
        while (true)
        {
            // The least frequent (the highest symbol among equals, as K.2's figure K.1), then the next least.
            int v1 = -1, v2 = -1;
            for (var i = 0; i < symbols; i++)
                if (freq[i] > 0 && (v1 < 0 || freq[i] <= freq[v1])) v1 = i;
            for (var i = 0; i < symbols; i++)
                if (freq[i] > 0 && i != v1 && (v2 < 0 || freq[i] <= freq[v2])) v2 = i;
            if (v2 < 0) break;
            freq[v1] += freq[v2];
            freq[v2] = 0;
            codeSize[v1]++;
            while (others[v1] >= 0)
            {
                v1 = others[v1];
                codeSize[v1]++;
            }
            others[v1] = v2;
            codeSize[v2]++;
            while (others[v2] >= 0)
            {
                v2 = others[v2];
                codeSize[v2]++;
            }
        }
        var bits = new int[33];
        foreach (var size in codeSize)
            if (size > 0) bits[size]++;
        // K.2 figure K.3: lengths above 16 moved up the tree, then the reserved code point taken out.
        for (var i = 32; i > 16; i--)
            while (bits[i] > 0)
            {
                var j = i - 2;
                while (bits[j] == 0) j--;
                bits[i] -= 2;
                bits[i - 1]++;
                bits[j + 1] += 2;
                bits[j]--;
            }
        var last = 16;
        while (bits[last] == 0) last--;
        bits[last]--;
        // HUFFVAL: the symbols by code size, then by value (figure K.4).
        var values = new List<byte>();
        for (var size = 1; size <= 32; size++)
            for (var s = 0; s < symbols - 1; s++)
                if (codeSize[s] == size) values.Add((byte)s);
        return (bits[..17], values.ToArray());
    }

    /// <summary>Each symbol's code and length (T.81 C.2): codes of one length are consecutive, lengths in order.</summary>
    internal static (int Code, int Length)[] Codes(int[] bits, byte[] values, int symbols = Categories)
    {
        var codes = new (int, int)[symbols];
        int code = 0, k = 0;
        for (var length = 1; length <= 16; length++, code <<= 1)
            for (var i = 0; i < bits[length]; i++, code++, k++)
                codes[values[k]] = (code, length);
        return codes;
    }
}
