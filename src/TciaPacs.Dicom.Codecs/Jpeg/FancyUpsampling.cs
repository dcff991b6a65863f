namespace TciaPacs.Dicom.Codecs.Jpeg;

/// <summary>
/// libjpeg's "fancy" upsampling of chroma subsampled 2:1 horizontally (4:2:2) or 2:1 both ways (4:2:0): each output
/// sample is a 3:1 weighting of its nearest input samples (a triangle filter), the rounding alternating as libjpeg's
/// jdsample.c does it, rows and columns at the edges repeated. dcmtk decodes with libjpeg's defaults, so this makes our
/// decoded colour images match its output (and most viewers') instead of differing at every colour edge.
/// </summary>
internal static class FancyUpsampling
{
    /// <summary>
    /// Replaces a full-resolution plane whose samples were repeated from a plane subsampled by 2 horizontally and by
    /// <paramref name="vertical"/> (1 or 2) vertically with the interpolated one.
    /// </summary>
    public static void Apply(int[] plane, int width, int height, int vertical)
    {
        var lowWidth = (width + 1) / 2;
        var lowHeight = (height + vertical - 1) / vertical;
        if (lowWidth < 2) return; // libjpeg's filter needs two columns; repetition stands
        var low = new int[lowWidth * lowHeight];
        for (var j = 0; j < lowHeight; j++)
            for (var i = 0; i < lowWidth; i++)
                low[j * lowWidth + i] = plane[j * vertical * width + 2 * i];
        var row = new int[2 * lowWidth];
        for (var y = 0; y < height; y++)
        {
            var j = y / vertical;
            if (vertical == 1) Horizontal(low.AsSpan(j * lowWidth, lowWidth), row);
            else
            {
                // The upper output row of a pair leans on the input row above, the lower on the row below.
                var other = y % 2 == 0 ? Math.Max(j - 1, 0) : Math.Min(j + 1, lowHeight - 1);
                Both(low.AsSpan(j * lowWidth, lowWidth), low.AsSpan(other * lowWidth, lowWidth), row);
            }
            row.AsSpan(0, width).CopyTo(plane.AsSpan(y * width, width));
        }
    }

    private static void Horizontal(ReadOnlySpan<int> input, Span<int> output)
    {
        var n = input.Length;
        output[0] = input[0];
        output[1] = (input[0] * 3 + input[1] + 2) >> 2;
        for (var i = 1; i < n - 1; i++)
        {
            var v = input[i] * 3;
            output[2 * i] = (v + input[i - 1] + 1) >> 2;
            output[2 * i + 1] = (v + input[i + 1] + 2) >> 2;
        }
        output[2 * n - 2] = (input[n - 1] * 3 + input[n - 2] + 1) >> 2;
        output[2 * n - 1] = input[n - 1];
    }

    private static void Both(ReadOnlySpan<int> near, ReadOnlySpan<int> far, Span<int> output)
    {
        var n = near.Length;
        int last, current = near[0] * 3 + far[0], next = near[1] * 3 + far[1];
        output[0] = (current * 4 + 8) >> 4;
        output[1] = (current * 3 + next + 7) >> 4;
        last = current;
        current = next;
        for (var i = 1; i < n - 1; i++)
        {
            next = near[i + 1] * 3 + far[i + 1];
            output[2 * i] = (current * 3 + last + 8) >> 4;
            output[2 * i + 1] = (current * 3 + next + 7) >> 4;
            last = current;
            current = next;
        }
        output[2 * n - 2] = (current * 3 + last + 8) >> 4;
        output[2 * n - 1] = (current * 4 + 7) >> 4;
    }
}
