using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using SkiaSharp;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Web.Wado;

namespace TciaPacs.Web.Rendering;

/// <summary>What a rendered image should look like (PS3.18 8.3.5.1): format, JPEG quality, the largest size, and a VOI window.</summary>
internal sealed record RenderOptions(string MediaType, int Quality, int? MaxWidth, int? MaxHeight, double? WindowCenter, double? WindowWidth, bool Sigmoid = false);

/// <summary>
/// Renders one frame to JPEG or PNG with SkiaSharp (PS3.18 8.3.5.1.3, PS3.3 C.11.2): monochrome through the Modality
/// LUT (rescale) and a VOI window (the one asked for, else the stored Window Center/Width, else the pixel range),
/// MONOCHROME1 inverted; RGB and YBR_FULL as colour. Palette colour and other layouts are not rendered (406).
/// </summary>
internal static class Renderer
{
    public static byte[] Render(PixelFrames frames, int frame, RenderOptions options)
    {
        if (!frames.CanDecode) throw new DicomWebException(406, $"cannot render pixel data stored as {frames.StoredSyntax}: no decoder for it yet");
        var info = frames.NativeInfo;
        var ds = frames.File.Dataset;
        var raw = frames.Native(frame).Span;
        var pi = info.PhotometricInterpretation.Trim().ToUpperInvariant();
        SKBitmap bitmap;
        if (info.SamplesPerPixel == 1 && pi is "MONOCHROME1" or "MONOCHROME2")
            bitmap = Monochrome(raw, info, ds, options, pi == "MONOCHROME1");
        else if (info.SamplesPerPixel == 3 && info.BitsAllocated == 8 && pi is "RGB" or "YBR_FULL")
            bitmap = Color(raw, info, pi == "YBR_FULL");
        else throw new DicomWebException(406, $"cannot render {pi} with {info.SamplesPerPixel} sample(s) of {info.BitsAllocated} bits");
        using (bitmap)
        {
            var (w, h) = Fit(info.Columns, info.Rows, options.MaxWidth, options.MaxHeight);
            using var sized = w == info.Columns && h == info.Rows ? null : bitmap.Resize(new SKImageInfo(w, h, bitmap.ColorType, SKAlphaType.Opaque), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            var image = sized ?? bitmap;
            var format = options.MediaType == MediaTypes.Png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
            using var data = image.Encode(format, Math.Clamp(options.Quality, 1, 100));
            return data?.ToArray() ?? throw new DicomWebException(500, "the image encoder failed");
        }
    }

    /// <summary>The size that fits in the viewport keeping the aspect ratio; never larger than the image.</summary>
    private static (int, int) Fit(int width, int height, int? maxWidth, int? maxHeight)
    {
        var scale = 1.0;
        if (maxWidth is > 0) scale = Math.Min(scale, (double)maxWidth.Value / width);
        if (maxHeight is > 0) scale = Math.Min(scale, (double)maxHeight.Value / height);
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }

    private static SKBitmap Monochrome(ReadOnlySpan<byte> raw, PixelDataInfo info, DicomDataset ds, RenderOptions options, bool invert)
    {
        var count = (int)info.PixelsPerFrame;
        var values = new double[count];
        var slope = ds.GetDouble(DicomTags.RescaleSlope) ?? 1;
        var intercept = ds.GetDouble(DicomTags.RescaleIntercept) ?? 0;
        var signed = info.PixelRepresentation == 1;
        var stored = info.BitsStored is > 0 ? info.BitsStored : info.BitsAllocated;
        for (var i = 0; i < count; i++)
        {
            long v = info.BitsAllocated switch
            {
                8 => raw[i],
                16 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]),
                32 => BinaryPrimitives.ReadUInt32LittleEndian(raw[(i * 4)..]),
                1 => (raw[i >> 3] >> (i & 7)) & 1,
                _ => throw new DicomWebException(406, $"cannot render {info.BitsAllocated}-bit pixels"),
            };
            if (info.BitsAllocated > 1 && stored < info.BitsAllocated)
            {
                v &= (1L << stored) - 1;
                if (signed && (v & (1L << (stored - 1))) != 0) v -= 1L << stored;
            }
            else if (signed && info.BitsAllocated is 8 or 16 or 32 && (v & (1L << (info.BitsAllocated - 1))) != 0) v -= 1L << info.BitsAllocated;
            values[i] = v * slope + intercept;
        }
        var (center, width) = (options.WindowCenter, options.WindowWidth) is ({ } c, { } w) ? (c, w) : StoredWindow(ds) ?? FromPixels(values);
        var bitmap = new SKBitmap(new SKImageInfo(info.Columns, info.Rows, SKColorType.Gray8, SKAlphaType.Opaque));
        var row = new byte[info.Columns];
        var pixels = bitmap.GetPixels();
        for (var y = 0; y < info.Rows; y++)
        {
            for (var x = 0; x < info.Columns; x++)
            {
                var g = Window(values[y * info.Columns + x], center, width, options.Sigmoid);
                row[x] = (byte)(invert ? 255 - g : g);
            }
            Marshal.Copy(row, 0, pixels + y * bitmap.RowBytes, row.Length);
        }
        return bitmap;
    }

    /// <summary>The linear VOI function of PS3.3 C.11.2.1.2.1, or the sigmoid of C.11.2.1.3.1, to 0-255.</summary>
    private static int Window(double x, double center, double width, bool sigmoid)
    {
        if (sigmoid) return (int)Math.Round(255 / (1 + Math.Exp(-4 * (x - center) / Math.Max(width, 1e-6))));
        if (width < 1) width = 1;
        if (x <= center - 0.5 - (width - 1) / 2) return 0;
        if (x > center - 0.5 + (width - 1) / 2) return 255;
        return (int)Math.Round(((x - (center - 0.5)) / (width - 1) + 0.5) * 255);
    }

    private static (double, double)? StoredWindow(DicomDataset ds)
    {
        var c = ds.GetDoubles(DicomTags.WindowCenter);
        var w = ds.GetDoubles(DicomTags.WindowWidth);
        return c.Length > 0 && w.Length > 0 && w[0] > 0 ? (c[0], w[0]) : null;
    }

    private static (double, double) FromPixels(double[] values)
    {
        if (values.Length == 0) return (0, 1);
        var min = values.Min();
        var max = values.Max();
        return ((min + max) / 2, Math.Max(1, max - min + 1));
    }

    private static SKBitmap Color(ReadOnlySpan<byte> raw, PixelDataInfo info, bool ybr)
    {
        var count = (int)info.PixelsPerFrame;
        var bitmap = new SKBitmap(new SKImageInfo(info.Columns, info.Rows, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var row = new byte[info.Columns * 4];
        var pixels = bitmap.GetPixels();
        for (var y = 0; y < info.Rows; y++)
        {
            for (var x = 0; x < info.Columns; x++)
            {
                var i = y * info.Columns + x;
                int a, b, c;
                if (info.PlanarConfiguration == 1) (a, b, c) = (raw[i], raw[count + i], raw[2 * count + i]);
                else (a, b, c) = (raw[i * 3], raw[i * 3 + 1], raw[i * 3 + 2]);
                if (ybr)
                {
                    // PS3.3 C.7.6.3.1.2: YBR_FULL to RGB.
                    var (yy, cb, cr) = (a, b - 128.0, c - 128.0);
                    (a, b, c) = (Clamp(yy + 1.402 * cr), Clamp(yy - 0.344136 * cb - 0.714136 * cr), Clamp(yy + 1.772 * cb));
                }
                row[x * 4] = (byte)a;
                row[x * 4 + 1] = (byte)b;
                row[x * 4 + 2] = (byte)c;
                row[x * 4 + 3] = 255;
            }
            Marshal.Copy(row, 0, pixels + y * bitmap.RowBytes, row.Length);
        }
        return bitmap;
    }

    private static int Clamp(double v) => (int)Math.Clamp(Math.Round(v), 0, 255);

    /// <summary>Parses <c>window=center,width[,linear|sigmoid]</c> (PS3.18 8.3.5.1.4).</summary>
    public static (double? Center, double? Width, bool Sigmoid) ParseWindow(string? text)
    {
        if (string.IsNullOrEmpty(text)) return (null, null, false);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 2 or > 3
            || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var c)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || w <= 0)
            throw new DicomWebException(400, $"window must be center,width[,linear|sigmoid] with a positive width, not '{text}'");
        var function = parts.Length == 3 ? parts[2].ToLowerInvariant() : "linear";
        if (function is not ("linear" or "sigmoid" or "linear_exact")) throw new DicomWebException(400, $"window function '{parts[2]}' is not linear or sigmoid");
        return (c, w, function == "sigmoid");
    }
}
