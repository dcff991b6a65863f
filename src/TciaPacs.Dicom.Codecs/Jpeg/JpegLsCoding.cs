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

/// <summary>
/// A JPEG-LS scan's adaptive state (T.87 A.2.1, A.6, A.7.2): the 365 regular contexts' A, B, C and N, and the two run
/// interruption contexts' A, N and Nn, kept and updated alike by the encoder and the decoder.
/// </summary>
internal sealed class JpegLsContexts(int near, int reset)
{
    /// <summary>One regular context's counters, kept together: a sample reads and updates all four.</summary>
    public struct Context
    {
        public int A, B, C, N;
    }

    public readonly Context[] Regular = new Context[365];
    public readonly int[] RunA = new int[2], RunN = new int[2], RunNn = new int[2];

    /// <summary>T.87 A.2.1: the start of a scan and of each restart interval.</summary>
    public void Initialize(int range)
    {
        var a = Math.Max(2, (range + 32) / 64);
        Array.Fill(Regular, new Context { A = a, N = 1 });
        Array.Fill(RunA, a);
        Array.Fill(RunN, 1);
        Array.Clear(RunNn);
    }

    /// <summary>The Golomb parameter k of regular context <paramref name="q"/> (T.87 A.5.1).</summary>
    public int K(int q)
    {
        ref var c = ref Regular[q];
        var k = 0;
        while (c.N << k < c.A && k < 16) k++;
        return k;
    }

    /// <summary>Context <paramref name="q"/> after a sample of error <paramref name="error"/> (T.87 A.6.1), then bias cancellation (A.6.2).</summary>
    public void Update(int q, int error)
    {
        ref var c = ref Regular[q];
        c.A += Math.Abs(error);
        c.B += error * (2 * near + 1);
        if (c.N == reset)
        {
            c.A >>= 1;
            c.B >>= 1;
            c.N >>= 1;
        }
        c.N++;
        if (c.B + c.N <= 0)
        {
            c.B += c.N;
            if (c.B <= -c.N) c.B = -c.N + 1;
            if (c.C > -128) c.C--;
        }
        else if (c.B > 0)
        {
            c.B -= c.N;
            if (c.B > 0) c.B = 0;
            if (c.C < 127) c.C++;
        }
    }

    /// <summary>The Golomb parameter k of run interruption context <paramref name="type"/> (RItype, T.87 A.7.2.1).</summary>
    public int InterruptionK(int type)
    {
        var temp = RunA[type] + (RunN[type] >> 1) * type;
        var k = 0;
        for (var nTest = RunN[type]; nTest < temp && k < 16; nTest <<= 1) k++;
        return k;
    }

    /// <summary>Run interruption context <paramref name="type"/> after an error and its mapped value (T.87 A.7.2.2).</summary>
    public void UpdateInterruption(int type, int error, int mapped)
    {
        if (error < 0) RunNn[type]++;
        RunA[type] += (mapped + 1 - type) >> 1;
        if (RunN[type] == reset)
        {
            RunA[type] >>= 1;
            RunN[type] >>= 1;
            RunNn[type] >>= 1;
        }
        RunN[type]++;
    }
}
