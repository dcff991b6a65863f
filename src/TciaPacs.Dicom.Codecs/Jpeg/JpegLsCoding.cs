namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>What JPEG-LS coding and decoding share (ITU-T T.87): the run-length order J, default parameters, the predictor, gradient quantization.</summary>
internal static class JpegLsCoding
{
    /// <summary>T.87 A.7.1.1: the run-length order of each RUNindex.</summary>
    public static ReadOnlySpan<int> J => [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    /// <summary>T.87 C.2.4.1.1.1: the default thresholds for MAXVAL and NEAR.</summary>
    public static (int T1, int T2, int T3) DefaultThresholds(int maxVal, int near)
    {
        static int Clamp(int v, int low, int high) => v > high || v < low ? low : v;
        if (maxVal >= 128)
        {
            var factor = (Math.Min(maxVal, 4095) + 128) / 256;
            var t1 = Clamp(factor * (3 - 2) + 2 + 3 * near, near + 1, maxVal);
            var t2 = Clamp(factor * (7 - 3) + 3 + 5 * near, t1, maxVal);
            return (t1, t2, Clamp(factor * (21 - 4) + 4 + 7 * near, t2, maxVal));
        }
        else
        {
            var factor = 256 / (maxVal + 1);
            var t1 = Clamp(Math.Max(2, 3 / factor + 3 * near), near + 1, maxVal);
            var t2 = Clamp(Math.Max(3, 7 / factor + 5 * near), t1, maxVal);
            return (t1, t2, Clamp(Math.Max(4, 21 / factor + 7 * near), t2, maxVal));
        }
    }

    public static int Log2Ceiling(int v)
    {
        var n = 0;
        while (1 << n < v) n++;
        return n;
    }

    /// <summary>T.87 A.2.1: LIMIT, the longest Golomb code, for MAXVAL.</summary>
    public static int Limit(int maxVal)
    {
        var bpp = Math.Max(2, Log2Ceiling(maxVal + 1));
        return 2 * (bpp + Math.Max(8, bpp));
    }

    /// <summary>The median edge detector (T.87 A.4.1).</summary>
    public static int Predict(int ra, int rb, int rc)
    {
        if (rc >= Math.Max(ra, rb)) return Math.Min(ra, rb);
        if (rc <= Math.Min(ra, rb)) return Math.Max(ra, rb);
        return ra + rb - rc;
    }

    /// <summary>
    /// Q(d) (T.87 A.3.3) for every gradient d from -offset to offset, offset being MAXVAL + 1: looked up three times
    /// per sample.
    /// </summary>
    public static sbyte[] QuantizationTable(int maxVal, int near, int t1, int t2, int t3)
    {
        var offset = maxVal + 1;
        var table = new sbyte[2 * offset + 1];
        for (var d = -offset; d <= offset; d++)
            table[d + offset] = (sbyte)(d <= -t3 ? -4 : d <= -t2 ? -3 : d <= -t1 ? -2 : d < -near ? -1 : d <= near ? 0 : d < t1 ? 1 : d < t2 ? 2 : d < t3 ? 3 : 4);
        return table;
    }

    /// <summary>
    /// The context of the quantized gradients (T.87 A.3.4), as one signed number: its sign is that of the first
    /// non-zero gradient (|9 q2 + q3| &lt; 81), its magnitude the context index 1..364, 0 in run mode.
    /// </summary>
    public static int Context(int q1, int q2, int q3) => (q1 * 9 + q2) * 9 + q3;
}
