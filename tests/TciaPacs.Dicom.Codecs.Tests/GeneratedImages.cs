using CsCheck;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>A native image to code: attributes and pixels made from a seed, so that CsCheck shrinks the sizes.</summary>
internal sealed record GeneratedImage(PixelDataInfo Info, byte[] Pixels, string Pattern)
{
    public override string ToString() =>
        $"{Info.Rows}x{Info.Columns} {Info.SamplesPerPixel}x{Info.BitsAllocated}-bit planar {Info.PlanarConfiguration}, {Info.NumberOfFrames} frame(s), {Pattern}";

    /// <summary>Sizes cross the 128-byte PackBits limits; patterns: noise, runs of every length, constant, mixed.</summary>
    public static Gen<GeneratedImage> Gen { get; } =
        CsCheck.Gen.Select(
            CsCheck.Gen.Int[1, 24], CsCheck.Gen.Int[1, 300], CsCheck.Gen.OneOfConst(8, 16, 32), CsCheck.Gen.OneOfConst(1, 3),
            CsCheck.Gen.Int[1, 3], CsCheck.Gen.Int[0, 1], CsCheck.Gen.OneOfConst("random", "runs", "constant", "mixed"), CsCheck.Gen.Int,
            (rows, columns, bits, samples, frames, planar, pattern, seed) =>
            {
                var info = TestImages.Info(rows, columns, bits, samples, frames, planar);
                return new GeneratedImage(info, Make(info.TotalSize, pattern, seed), pattern);
            });

    public static byte[] Make(long size, string pattern, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[size];
        switch (pattern)
        {
            case "random":
                random.NextBytes(bytes);
                break;
            case "constant":
                Array.Fill(bytes, (byte)random.Next(256));
                break;
            case "runs":
                for (var i = 0; i < bytes.Length;)
                {
                    var run = Math.Min(random.Next(1, 300), bytes.Length - i);
                    bytes.AsSpan(i, run).Fill((byte)random.Next(256));
                    i += run;
                }
                break;
            default:
                for (var i = 0; i < bytes.Length;)
                {
                    var n = Math.Min(random.Next(1, 8), bytes.Length - i);
                    if (random.Next(2) == 0) bytes.AsSpan(i, n).Fill((byte)random.Next(3));
                    else random.NextBytes(bytes.AsSpan(i, n));
                    i += n;
                }
                break;
        }
        return bytes;
    }
}
