namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// The inverse discrete wavelet transforms of T.800 Annex F: the reversible 5-3 filter in integers and the
/// irreversible 9-7 filter in single precision (as OpenJPEG), by lifting over a line extended symmetrically (F.3.7).
/// A tile-component's coefficients are in one array, each resolution's four sub-bands in its top-left corner (LL,
/// then HL right of it, LH below, HH diagonally), and each level is undone in place: rows first, then columns (F.3.2).
/// </summary>
internal static class InverseWavelet
{
    private const int Pad = 4;

    private const float Alpha = -1.586134342059924f, Beta = -0.052980118572961f, Gamma = 0.882911075530934f,
        Delta = 0.443506852043971f, K = 1.230174104914001f, InverseK = 1 / 1.230174104914001f;

    /// <summary>
    /// Undoes one level: the resolution spans [x0, x1) x [y0, y1) on its own grid; its lower resolution (LL) holds the
    /// first ceil(x1/2) - ceil(x0/2) columns and as many rows. <paramref name="stride"/> is the array's row length.
    /// </summary>
    public static void Reversible(int[] c, int stride, int x0, int x1, int y0, int y1)
    {
        int w = x1 - x0, h = y1 - y0;
        if (w <= 0 || h <= 0) return;
        var line = new int[Math.Max(w, h) + 2 * Pad];
        for (var y = 0; y < h; y++)
        {
            Interleave(c, y * stride, 1, w, x0 & 1, line);
            Lift53(line, w, x0 & 1);
            for (var x = 0; x < w; x++) c[y * stride + x] = line[Pad + x];
        }
        Columns53(c, stride, w, h, y0 & 1);
    }

    public static void Irreversible(float[] c, int stride, int x0, int x1, int y0, int y1)
    {
        int w = x1 - x0, h = y1 - y0;
        if (w <= 0 || h <= 0) return;
        var line = new float[Math.Max(w, h) + 2 * Pad];
        for (var y = 0; y < h; y++)
        {
            Interleave(c, y * stride, 1, w, x0 & 1, line);
            Lift97(line, w, x0 & 1);
            for (var x = 0; x < w; x++) c[y * stride + x] = line[Pad + x];
        }
        Columns97(c, stride, w, h, y0 & 1);
    }

    // The columns are undone a strip of them at a time, whole rows of the strip per lifting step: the same arithmetic
    // as one column at a time, in the order memory holds the coefficients.
    private const int Strip = 32;

    private static void RowsOfStrip<T>(T[] c, int stride, int x, int width, int h, int parity, T[] rows)
    {
        var lows = parity == 0 ? (h + 1) / 2 : h / 2;
        var source = new int[h];
        for (int k = 0, low = 0, high = lows; k < h; k++)
            source[k] = ((k + parity) & 1) == 0 ? low++ : high++;
        for (var k = 0; k < h; k++) Array.Copy(c, source[k] * stride + x, rows, (Pad + k) * Strip, width);
        if (h > 1)
        {
            var period = 2 * (h - 1);
            for (var k = 1; k <= Pad; k++)
            {
                Array.Copy(rows, (Pad + Mirror(-k, h, period)) * Strip, rows, (Pad - k) * Strip, width);
                Array.Copy(rows, (Pad + Mirror(h - 1 + k, h, period)) * Strip, rows, (Pad + h - 1 + k) * Strip, width);
            }
        }
    }

    private static void Columns53(int[] c, int stride, int w, int h, int parity)
    {
        var rows = new int[(h + 2 * Pad) * Strip];
        for (var x = 0; x < w; x += Strip)
        {
            var width = Math.Min(Strip, w - x);
            RowsOfStrip(c, stride, x, width, h, parity, rows);
            if (h == 1)
            {
                if (parity == 1) for (var i = 0; i < width; i++) rows[Pad * Strip + i] /= 2;
            }
            else
            {
                for (var k = FirstOfParity(-1, parity, 0); k <= h; k += 2)
                {
                    int at = (Pad + k) * Strip, above = at - Strip, below = at + Strip;
                    for (var i = 0; i < width; i++) rows[at + i] -= (rows[above + i] + rows[below + i] + 2) >> 2;
                }
                for (var k = FirstOfParity(0, parity, 1); k < h; k += 2)
                {
                    int at = (Pad + k) * Strip, above = at - Strip, below = at + Strip;
                    for (var i = 0; i < width; i++) rows[at + i] += (rows[above + i] + rows[below + i]) >> 1;
                }
            }
            for (var k = 0; k < h; k++) Array.Copy(rows, (Pad + k) * Strip, c, k * stride + x, width);
        }
    }

    private static void Columns97(float[] c, int stride, int w, int h, int parity)
    {
        var rows = new float[(h + 2 * Pad) * Strip];
        for (var x = 0; x < w; x += Strip)
        {
            var width = Math.Min(Strip, w - x);
            RowsOfStrip(c, stride, x, width, h, parity, rows);
            if (h == 1)
            {
                if (parity == 1) for (var i = 0; i < width; i++) rows[Pad * Strip + i] /= 2;
            }
            else
            {
                for (var k = -Pad; k < h + Pad; k++)
                {
                    var factor = ((k + parity) & 1) == 0 ? K : InverseK;
                    var at = (Pad + k) * Strip;
                    for (var i = 0; i < width; i++) rows[at + i] *= factor;
                }
                Step(rows, width, FirstOfParity(-3, parity, 0), h + 2, Delta);
                Step(rows, width, FirstOfParity(-2, parity, 1), h + 1, Gamma);
                Step(rows, width, FirstOfParity(-1, parity, 0), h, Beta);
                Step(rows, width, FirstOfParity(0, parity, 1), h - 1, Alpha);
            }
            for (var k = 0; k < h; k++) Array.Copy(rows, (Pad + k) * Strip, c, k * stride + x, width);
        }

        static void Step(float[] rows, int width, int from, int to, float factor)
        {
            for (var k = from; k <= to; k += 2)
            {
                int at = (Pad + k) * Strip, above = at - Strip, below = at + Strip;
                for (var i = 0; i < width; i++) rows[at + i] -= factor * (rows[above + i] + rows[below + i]);
            }
        }
    }

    // Low-pass samples (first in the array) go to even positions of the grid, high-pass ones to odd positions; the
    // line's first sample is on an odd position when its start (x0 or y0) is odd. Then the symmetric extension.
    private static void Interleave<T>(T[] c, int start, int step, int n, int parity, T[] line)
    {
        var lows = parity == 0 ? (n + 1) / 2 : n / 2;
        for (int k = 0, low = 0, high = lows; k < n; k++)
            line[Pad + k] = ((k + parity) & 1) == 0 ? c[start + step * low++] : c[start + step * high++];
        if (n == 1) return;
        var period = 2 * (n - 1);
        for (var k = 1; k <= Pad; k++)
        {
            line[Pad - k] = line[Pad + Mirror(-k, n, period)];
            line[Pad + n - 1 + k] = line[Pad + Mirror(n - 1 + k, n, period)];
        }
    }

    private static int Mirror(int i, int n, int period)
    {
        var m = ((i % period) + period) % period;
        return m >= n ? period - m : m;
    }

    private static void Lift53(int[] x, int n, int parity)
    {
        if (n == 1)
        {
            if (parity == 1) x[Pad] /= 2;
            return;
        }
        // Even positions in [-1, n], then odd positions in [0, n) (F.3.8.1).
        for (var k = FirstOfParity(-1, parity, 0); k <= n; k += 2)
            x[Pad + k] -= (x[Pad + k - 1] + x[Pad + k + 1] + 2) >> 2;
        for (var k = FirstOfParity(0, parity, 1); k < n; k += 2)
            x[Pad + k] += (x[Pad + k - 1] + x[Pad + k + 1]) >> 1;
    }

    private static void Lift97(float[] x, int n, int parity)
    {
        if (n == 1)
        {
            if (parity == 1) x[Pad] /= 2;
            return;
        }
        // F.3.8.2: scale, then four lifting steps, each over the range the next one reads.
        for (var k = -Pad; k < n + Pad; k++) x[Pad + k] *= ((k + parity) & 1) == 0 ? K : InverseK;
        Step(x, FirstOfParity(-3, parity, 0), n + 2, Delta);
        Step(x, FirstOfParity(-2, parity, 1), n + 1, Gamma);
        Step(x, FirstOfParity(-1, parity, 0), n, Beta);
        Step(x, FirstOfParity(0, parity, 1), n - 1, Alpha);

        static void Step(float[] x, int from, int to, float factor)
        {
            for (var k = from; k <= to; k += 2) x[Pad + k] -= factor * (x[Pad + k - 1] + x[Pad + k + 1]);
        }
    }

    /// <summary>The first line index at or after <paramref name="from"/> whose grid position has parity <paramref name="wanted"/> (0 even).</summary>
    private static int FirstOfParity(int from, int parity, int wanted) => ((from + parity) & 1) == wanted ? from : from + 1;
}
