namespace TciaPacs.Dicom.Codecs.Jpeg2000;

/// <summary>
/// The forward reversible 5-3 wavelet transform of T.800 Annex F (F.4.8.2), the exact inverse of
/// <see cref="InverseWavelet.Reversible"/>, for a tile-component whose origin is (0, 0): one level splits the top-left
/// w x h corner of the coefficient array into its four sub-bands in place (LL top-left, HL right of it, LH below,
/// HH diagonally), columns first, then rows (F.4.2). Lines are extended symmetrically (F.4.7).
/// </summary>
internal static class ForwardWavelet
{
    public static void Reversible(int[] c, int stride, int w, int h)
    {
        if (w <= 0 || h <= 0) return;
        if (h > 1) Columns(c, stride, w, h);
        if (w > 1)
        {
            var line = new int[w];
            for (var y = 0; y < h; y++)
            {
                var row = c.AsSpan(y * stride, w);
                row.CopyTo(line);
                Lift(line, row);
            }
        }
    }

    /// <summary>One line of n &gt; 1 samples into its ceil(n/2) low-pass then floor(n/2) high-pass coefficients.</summary>
    private static void Lift(ReadOnlySpan<int> x, Span<int> output)
    {
        var n = x.Length;
        int lows = (n + 1) / 2, highs = n / 2;
        var low = output[..lows];
        var high = output[lows..];
        // Odd samples: d[k] = x[2k+1] - floor((x[2k] + x[2k+2]) / 2), x[n] mirrored to x[n-2].
        for (var k = 0; k < highs; k++)
        {
            var right = 2 * k + 2 < n ? x[2 * k + 2] : x[2 * k];
            high[k] = x[2 * k + 1] - ((x[2 * k] + right) >> 1);
        }
        // Even samples: s[k] = x[2k] + floor((d[k-1] + d[k] + 2) / 4), d[-1] mirrored to d[0], d[highs] to d[highs-1].
        for (var k = 0; k < lows; k++)
        {
            var before = k > 0 ? high[k - 1] : high[0];
            var after = k < highs ? high[k] : high[highs - 1];
            low[k] = x[2 * k] + ((before + after + 2) >> 2);
        }
    }

    // The same lifting steps down the columns, a strip of them at a time (whole rows of the strip per step, in the
    // order memory holds them), from a copy of the strip: memory of a strip, not of the region.
    private const int Strip = 32;

    private static void Columns(int[] c, int stride, int w, int h)
    {
        var x = new int[h * Strip];
        int lows = (h + 1) / 2, highs = h / 2;
        for (var x0 = 0; x0 < w; x0 += Strip)
        {
            var width = Math.Min(Strip, w - x0);
            for (var y = 0; y < h; y++) Array.Copy(c, y * stride + x0, x, y * Strip, width);
            for (var k = 0; k < highs; k++)
            {
                int at = (2 * k + 1) * Strip, above = 2 * k * Strip, below = 2 * k + 2 < h ? (2 * k + 2) * Strip : above, to = (lows + k) * stride + x0;
                for (var i = 0; i < width; i++) c[to + i] = x[at + i] - ((x[above + i] + x[below + i]) >> 1);
            }
            for (var k = 0; k < lows; k++)
            {
                int before = (lows + (k > 0 ? k - 1 : 0)) * stride + x0, after = (lows + (k < highs ? k : highs - 1)) * stride + x0;
                int from = 2 * k * Strip, to = k * stride + x0;
                for (var i = 0; i < width; i++) c[to + i] = x[from + i] + ((c[before + i] + c[after + i] + 2) >> 2);
            }
        }
    }
}
