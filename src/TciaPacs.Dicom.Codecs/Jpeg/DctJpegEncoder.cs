namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// Encodes a sequential DCT JPEG stream with Huffman coding (ITU-T T.81 Annex F), the coding of DICOM's JPEG Baseline
/// (PS3.5 A.4.1, 1.2.840.10008.1.2.4.50: process 1, 8-bit samples, SOF0) and JPEG Extended (4.51: process 4, 8- or
/// 12-bit samples, SOF1). One interleaved scan, no restart intervals, Huffman tables made for the frame (T.81 K.2) as
/// dcmtk's default (<c>+ho</c>) and libjpeg's <c>optimize_coding</c> do; the quantization tables are T.81 Annex K's
/// scaled by the IJG quality factor, so that a quality means what it means to dcmtk's <c>dcmcjpeg +q</c> and libjpeg.
/// Three components are taken as YCbCr (the caller converts RGB, <see cref="RgbToYbr"/>) and coded with their chroma
/// subsampled 2:1 horizontally (4:2:2, DICOM's YBR_FULL_422, as <c>dcmcjpeg</c> does by default).
/// </summary>
internal static class DctJpegEncoder
{
    /// <summary>T.81 Table K.1, luminance quantization, in natural (row by row) order.</summary>
    private static ReadOnlySpan<byte> LuminanceTable =>
    [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];

    /// <summary>T.81 Table K.2, chrominance quantization, in natural order.</summary>
    private static ReadOnlySpan<byte> ChrominanceTable =>
    [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
        47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ];

    /// <summary>The natural index of each coefficient in zig-zag order (T.81 Figure A.6).</summary>
    private static ReadOnlySpan<byte> ZigZag =>
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    /// <summary>
    /// The scale of each output of the Arai-Agui-Nakajima 1-D DCT (<see cref="ForwardDct"/>) against T.81 A.3.3's:
    /// 1 for the DC term, cos(k pi / 16) sqrt 2 for the others; a 2-D coefficient is off by the product for its row
    /// and column, and by 8, which the quantization divisors take up.
    /// </summary>
    private static readonly double[] AanScale = [.. Enumerable.Range(0, 8).Select(k => k == 0 ? 1.0 : Math.Cos(k * Math.PI / 16) * Math.Sqrt(2))];

    /// <summary>
    /// The stream of an image given as one plane per component (1 or 3; <paramref name="width"/> x
    /// <paramref name="height"/> samples each, row by row, within 0..2^<paramref name="precision"/> - 1), with
    /// <paramref name="baseline"/> writing SOF0 (8-bit samples only) and otherwise SOF1.
    /// </summary>
    public static byte[] Encode(int[][] planes, int width, int height, int precision, int quality, bool baseline)
    {
        ArgumentNullException.ThrowIfNull(planes);
        if (planes.Length is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(planes), "A DCT JPEG frame is coded here with 1 or 3 components.");
        if (width is < 1 or > 65535 || height is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(width), "JPEG frame headers hold sizes of 1 to 65535.");
        if (precision is not (8 or 12) || (baseline && precision != 8)) throw new ArgumentOutOfRangeException(nameof(precision), "Sequential DCT JPEG samples have 8 bits (baseline) or 8 or 12 bits (extended).");
        if (quality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(quality), "The quality factor is 1 to 100.");
        var n = planes.Length;
        // Luminance first, chrominance (table 1) subsampled 2:1 horizontally.
        int[] h = n == 1 ? [1] : [2, 1, 1];
        var tables = n == 1 ? new[] { 0 } : [0, 1, 1];
        var quantization = new[] { Scaled(LuminanceTable, quality, precision), Scaled(ChrominanceTable, quality, precision) };
        var reciprocals = quantization.Select(Reciprocals).ToArray();
        var components = new int[n][];
        var componentWidths = new int[n];
        for (var c = 0; c < n; c++)
        {
            componentWidths[c] = h[c] == 2 || n == 1 ? width : (width + 1) / 2;
            components[c] = componentWidths[c] == width ? planes[c] : HalveHorizontally(planes[c], width, height);
        }
        var hMax = n == 1 ? 1 : 2;
        int mcusAcross = (width + 8 * hMax - 1) / (8 * hMax), mcusDown = (height + 7) / 8;
        var blocksPerMcu = h.Sum();

        // Pass 1: every block transformed and quantized (in zig-zag order), and the symbols counted per table.
        var total = (long)mcusAcross * mcusDown * blocksPerMcu * 64;
        if (total > Array.MaxLength) throw new DicomCodecException("The frame is too large to encode as JPEG.");
        var blocks = new short[total];
        var dcFrequencies = new long[2][];
        var acFrequencies = new long[2][];
        for (var t = 0; t < 2; t++) { dcFrequencies[t] = new long[16]; acFrequencies[t] = new long[256]; }
        Span<double> samples = stackalloc double[64];
        var previousDc = new int[n];
        var shift = 1 << (precision - 1);
        var at = 0;
        for (var my = 0; my < mcusDown; my++)
            for (var mx = 0; mx < mcusAcross; mx++)
                for (var c = 0; c < n; c++)
                    for (var b = 0; b < h[c]; b++, at += 64)
                    {
                        int x0 = (mx * h[c] + b) * 8, y0 = my * 8, cw = componentWidths[c];
                        // Edge blocks repeat the last column and row (as libjpeg pads).
                        for (var y = 0; y < 8; y++)
                        {
                            var row = Math.Min(y0 + y, height - 1) * cw;
                            for (var x = 0; x < 8; x++) samples[y * 8 + x] = components[c][row + Math.Min(x0 + x, cw - 1)] - shift;
                        }
                        var block = blocks.AsSpan(at, 64);
                        ForwardDct(samples);
                        Quantize(samples, reciprocals[tables[c]], block);
                        Count(block, ref previousDc[c], dcFrequencies[tables[c]], acFrequencies[tables[c]]);
                    }

        // Pass 2: the tables, then the scan.
        var usedTables = n == 1 ? 1 : 2;
        var dc = new (int[] Bits, byte[] Values)[usedTables];
        var ac = new (int[] Bits, byte[] Values)[usedTables];
        var dcCodes = new (int Code, int Length)[usedTables][];
        var acCodes = new (int Code, int Length)[usedTables][];
        for (var t = 0; t < usedTables; t++)
        {
            dc[t] = LosslessJpegEncoder.HuffmanTable(dcFrequencies[t]);
            ac[t] = LosslessJpegEncoder.HuffmanTable(acFrequencies[t]);
            dcCodes[t] = LosslessJpegEncoder.Codes(dc[t].Bits, dc[t].Values, 16);
            acCodes[t] = LosslessJpegEncoder.Codes(ac[t].Bits, ac[t].Values, 256);
        }

        var writer = new JpegBitWriter(1024 + width * height * n / 4);
        writer.WriteMarker(0xD8); // SOI
        // DQT (B.2.4.1): 8-bit entries unless an entry needs 16 (only at low qualities of 12-bit data).
        for (var t = 0; t < usedTables; t++)
        {
            var wide = quantization[t].Any(q => q > 255);
            writer.WriteMarker(0xDB);
            writer.WriteUInt16(2 + 1 + 64 * (wide ? 2 : 1));
            writer.WriteByte((byte)((wide ? 0x10 : 0) | t));
            for (var k = 0; k < 64; k++)
            {
                var q = quantization[t][ZigZag[k]];
                if (wide) writer.WriteUInt16(q);
                else writer.WriteByte((byte)q);
            }
        }
        // SOF0 or SOF1 (B.2.2): component i + 1, its sampling factors and quantization table.
        writer.WriteMarker(baseline ? (byte)0xC0 : (byte)0xC1);
        writer.WriteUInt16(8 + 3 * n);
        writer.WriteByte((byte)precision);
        writer.WriteUInt16(height);
        writer.WriteUInt16(width);
        writer.WriteByte((byte)n);
        for (var c = 0; c < n; c++)
        {
            writer.WriteByte((byte)(c + 1));
            writer.WriteByte((byte)(h[c] << 4 | 1));
            writer.WriteByte((byte)tables[c]);
        }
        // DHT (B.2.4.2): DC then AC table of each class.
        for (var t = 0; t < usedTables; t++)
        {
            WriteTable(writer, 0x00 | t, dc[t]);
            WriteTable(writer, 0x10 | t, ac[t]);
        }
        // SOS (B.2.3): every component, its DC and AC tables; Ss 0, Se 63, Ah/Al 0.
        writer.WriteMarker(0xDA);
        writer.WriteUInt16(6 + 2 * n);
        writer.WriteByte((byte)n);
        for (var c = 0; c < n; c++)
        {
            writer.WriteByte((byte)(c + 1));
            writer.WriteByte((byte)(tables[c] << 4 | tables[c]));
        }
        writer.WriteByte(0);
        writer.WriteByte(63);
        writer.WriteByte(0);
        Array.Clear(previousDc);
        at = 0;
        for (var my = 0; my < mcusDown; my++)
            for (var mx = 0; mx < mcusAcross; mx++)
                for (var c = 0; c < n; c++)
                    for (var b = 0; b < h[c]; b++, at += 64)
                        Write(writer, blocks.AsSpan(at, 64), ref previousDc[c], dcCodes[tables[c]], acCodes[tables[c]]);
        writer.EndEntropyCodedData();
        writer.WriteMarker(0xD9); // EOI
        return writer.ToArray();
    }

    /// <summary>
    /// JFIF's full-range RGB to YCbCr (ITU-T T.871 section 7; DICOM's YBR_FULL, PS3.3 C.7.6.3.1.2), rounded, for
    /// samples of <paramref name="precision"/> bits; the planes are converted in place.
    /// </summary>
    public static void RgbToYbr(int[][] planes, int precision)
    {
        ArgumentNullException.ThrowIfNull(planes);
        var max = (1 << precision) - 1;
        var half = (max + 1) / 2;
        int[] r = planes[0], g = planes[1], b = planes[2];
        for (var i = 0; i < r.Length; i++)
        {
            double red = r[i], green = g[i], blue = b[i];
            r[i] = Math.Clamp((int)Math.Round(0.299 * red + 0.587 * green + 0.114 * blue), 0, max);
            g[i] = Math.Clamp((int)Math.Round(-0.168736 * red - 0.331264 * green + 0.5 * blue + half), 0, max);
            b[i] = Math.Clamp((int)Math.Round(0.5 * red - 0.418688 * green - 0.081312 * blue + half), 0, max);
        }
    }

    /// <summary>Annex K's table scaled by the IJG quality factor (jcparam.c): 50 keeps it, 100 makes every entry 1.</summary>
    private static int[] Scaled(ReadOnlySpan<byte> table, int quality, int precision)
    {
        var scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
        // 8-bit data keeps 8-bit entries (baseline's limit, as libjpeg's force_baseline); 12-bit data may use 16.
        var limit = precision == 8 ? 255 : 32767;
        var scaled = new int[64];
        for (var i = 0; i < 64; i++) scaled[i] = Math.Clamp((table[i] * scale + 50) / 100, 1, limit);
        return scaled;
    }

    /// <summary>Each pair of samples of a row averaged (rounding alternately down and up, as libjpeg's h2v1 downsampling); an odd last sample is taken alone.</summary>
    private static int[] HalveHorizontally(int[] plane, int width, int height)
    {
        var halfWidth = (width + 1) / 2;
        var halved = new int[halfWidth * height];
        for (var y = 0; y < height; y++)
        {
            var row = y * width;
            for (var x = 0; x < halfWidth; x++)
            {
                var left = plane[row + 2 * x];
                var right = 2 * x + 1 < width ? plane[row + 2 * x + 1] : left;
                halved[y * halfWidth + x] = (left + right + (x & 1)) >> 1;
            }
        }
        return halved;
    }

    /// <summary>1 / (Q(u, v) AanScale(u) AanScale(v) 8) for each coefficient in natural order: quantizing an AAN output is one multiply.</summary>
    private static double[] Reciprocals(int[] quantization)
    {
        var reciprocals = new double[64];
        for (var i = 0; i < 64; i++) reciprocals[i] = 1 / (quantization[i] * AanScale[i >> 3] * AanScale[i & 7] * 8);
        return reciprocals;
    }

    /// <summary>
    /// The 2-D forward DCT of a level-shifted block in place (rows, then columns), by the Arai-Agui-Nakajima
    /// factorization (5 multiplies per 8 points, as libjpeg's jfdctflt): each output is T.81 A.3.3's coefficient times
    /// 8 AanScale(u) AanScale(v), which <see cref="Reciprocals"/> divides out.
    /// </summary>
    internal static void ForwardDct(Span<double> block)
    {
        for (var i = 0; i < 8; i++) Aan(block, i * 8, 1);
        for (var i = 0; i < 8; i++) Aan(block, i, 8);
    }

    /// <summary>One 8-point AAN DCT of the values at <paramref name="at"/>, every <paramref name="step"/>, in place.</summary>
    private static void Aan(Span<double> d, int at, int step)
    {
        double d0 = d[at], d1 = d[at + step], d2 = d[at + 2 * step], d3 = d[at + 3 * step];
        double d4 = d[at + 4 * step], d5 = d[at + 5 * step], d6 = d[at + 6 * step], d7 = d[at + 7 * step];
        double s07 = d0 + d7, t07 = d0 - d7, s16 = d1 + d6, t16 = d1 - d6, s25 = d2 + d5, t25 = d2 - d5, s34 = d3 + d4, t34 = d3 - d4;
        // Even part.
        double e0 = s07 + s34, e3 = s07 - s34, e1 = s16 + s25, e2 = s16 - s25;
        d[at] = e0 + e1;
        d[at + 4 * step] = e0 - e1;
        var z1 = (e2 + e3) * 0.70710678118654752;
        d[at + 2 * step] = e3 + z1;
        d[at + 6 * step] = e3 - z1;
        // Odd part.
        double o0 = t34 + t25, o1 = t25 + t16, o2 = t16 + t07;
        var z5 = (o0 - o2) * 0.38268343236508977;
        var z2 = 0.54119610014619698 * o0 + z5;
        var z4 = 1.30656296487637653 * o2 + z5;
        var z3 = o1 * 0.70710678118654752;
        double z11 = t07 + z3, z13 = t07 - z3;
        d[at + 5 * step] = z13 + z2;
        d[at + 3 * step] = z13 - z2;
        d[at + step] = z11 + z4;
        d[at + 7 * step] = z11 - z4;
    }

    /// <summary>The AAN outputs quantized and rounded (half away from zero), in zig-zag order.</summary>
    private static void Quantize(ReadOnlySpan<double> coefficients, double[] reciprocals, Span<short> zigzagged)
    {
        for (var k = 0; k < 64; k++)
        {
            int natural = ZigZag[k];
            zigzagged[k] = (short)Math.Round(coefficients[natural] * reciprocals[natural], MidpointRounding.AwayFromZero);
        }
    }

    private static int Category(int value) => value == 0 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)Math.Abs(value));

    /// <summary>Counts the symbols a block will be coded with (F.1.2.1 DC difference categories; F.1.2.2 run/size, ZRL, EOB).</summary>
    private static void Count(ReadOnlySpan<short> block, ref int previousDc, long[] dc, long[] ac)
    {
        dc[Category(block[0] - previousDc)]++;
        previousDc = block[0];
        var run = 0;
        for (var k = 1; k < 64; k++)
        {
            if (block[k] == 0) { run++; continue; }
            for (; run > 15; run -= 16) ac[0xF0]++;
            ac[run << 4 | Category(block[k])]++;
            run = 0;
        }
        if (run > 0) ac[0x00]++;
    }

    /// <summary>Codes a block as <see cref="Count"/> counted it: each symbol's code, then its value's extra bits (a negative one as value - 1).</summary>
    private static void Write(JpegBitWriter writer, ReadOnlySpan<short> block, ref int previousDc, (int Code, int Length)[] dc, (int Code, int Length)[] ac)
    {
        var difference = block[0] - previousDc;
        previousDc = block[0];
        Emit(writer, dc[Category(difference)], difference);
        var run = 0;
        for (var k = 1; k < 64; k++)
        {
            if (block[k] == 0) { run++; continue; }
            for (; run > 15; run -= 16) writer.Write(ac[0xF0].Code, ac[0xF0].Length);
            Emit(writer, ac[run << 4 | Category(block[k])], block[k]);
            run = 0;
        }
        if (run > 0) writer.Write(ac[0x00].Code, ac[0x00].Length);
    }

    private static void Emit(JpegBitWriter writer, (int Code, int Length) symbol, int value)
    {
        var t = Category(value);
        if (symbol.Length == 0) throw new InvalidOperationException("A symbol was coded that was not counted.");
        writer.Write(symbol.Code << t | ((value < 0 ? value - 1 : value) & ((1 << t) - 1)), symbol.Length + t);
    }

    private static void WriteTable(JpegBitWriter writer, int classAndId, (int[] Bits, byte[] Values) table)
    {
        writer.WriteMarker(0xC4);
        writer.WriteUInt16(2 + 17 + table.Values.Length);
        writer.WriteByte((byte)classAndId);
        for (var l = 1; l <= 16; l++) writer.WriteByte((byte)table.Bits[l]);
        foreach (var v in table.Values) writer.WriteByte(v);
    }
}
