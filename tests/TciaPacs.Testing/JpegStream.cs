namespace TciaPacs.Testing;

/// <summary>What a JPEG stream's frame header (SOFn, ITU-T T.81 B.2.2) says, for tests that compare decoders.</summary>
public static class JpegStream
{
    /// <summary>The image size and whether the process is DCT-based (lossy) rather than lossless (SOF3).</summary>
    public static (int Width, int Height, bool Lossy) Header(ReadOnlySpan<byte> jpeg)
    {
        for (var at = 2; at + 9 < jpeg.Length;)
        {
            if (jpeg[at] != 0xFF) { at++; continue; }
            var marker = jpeg[at + 1];
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
                return (jpeg[at + 7] << 8 | jpeg[at + 8], jpeg[at + 5] << 8 | jpeg[at + 6], marker != 0xC3);
            at += 2 + (jpeg[at + 2] << 8 | jpeg[at + 3]);
        }
        throw new InvalidDataException("no SOF marker in the JPEG stream");
    }

    public static bool IsLossy(ReadOnlySpan<byte> jpeg) => Header(jpeg).Lossy;
}
