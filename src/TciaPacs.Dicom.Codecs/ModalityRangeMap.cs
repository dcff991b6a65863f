using System.Buffers.Binary;
using System.Globalization;

namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// A lossy JPEG holds unsigned samples of at most 12 bits; a CT stores signed ones, often in 16 bits, whose values
/// span far less (-1024 to 3071 HU). A monochrome image with a Modality LUT (Rescale Intercept) whose samples span
/// fewer than 4096 values is mapped onto 0..4095 by subtracting its smallest sample, and the intercept moves the other
/// way, so that Rescale Slope x stored + Rescale Intercept, the modality value (Hounsfield units), is what it was; the
/// padding values move with the samples. dcmtk's dcmcjpeg rescales such images likewise (+sp, +rm); without a Modality
/// LUT to absorb it the mapping would change the values, and the image is refused as before.
/// </summary>
internal sealed class ModalityRangeMap
{
    private const int Span = 4096;
    private readonly int _minimum;
    private readonly PixelDataInfo _native;

    private ModalityRangeMap(int minimum, PixelDataInfo native, PixelDataInfo mapped)
    {
        _minimum = minimum;
        _native = native;
        Mapped = mapped;
    }

    /// <summary>The image as the encoder sees it: 12 unsigned bits stored in 16.</summary>
    public PixelDataInfo Mapped { get; }

    /// <summary>
    /// The map of an image <paramref name="encoder"/> cannot hold as it is but can once mapped, reading every frame once
    /// for the samples' range; null when none applies (colour, no Modality LUT, a range of 4096 values or more).
    /// </summary>
    public static ModalityRangeMap? For(DicomDataset dataset, PixelDataInfo info, IEnumerable<ReadOnlyMemory<byte>> frames, IPixelCodec encoder)
    {
        if (!Applies(dataset, info)) return null;
        var mapped = info with { BitsStored = 12, HighBit = 11, PixelRepresentation = 0 };
        if (!encoder.CanEncode(mapped)) return null;
        int minimum = int.MaxValue, maximum = int.MinValue;
        var count = (int)info.PixelsPerFrame;
        foreach (var frame in frames)
        {
            var span = frame.Span;
            for (var i = 0; i < count; i++)
            {
                var v = Sample(span, i, info);
                if (v < minimum) minimum = v;
                if (v > maximum) maximum = v;
            }
        }
        return minimum <= maximum && maximum - minimum < Span ? new ModalityRangeMap(minimum, info, mapped) : null;
    }

    /// <summary>Whether the attributes allow a map: one monochrome sample in 16 bits allocated, a Rescale Intercept.</summary>
    public static bool Applies(DicomDataset dataset, PixelDataInfo info) =>
        info.SamplesPerPixel == 1 && info.BitsAllocated == 16 && info.BitsStored is >= 1 and <= 16 && info.HighBit == info.BitsStored - 1
        && info.PhotometricInterpretation.Trim() is "MONOCHROME1" or "MONOCHROME2" && dataset.Contains(DicomTags.RescaleIntercept);

    /// <summary>Sample <paramref name="i"/> within Bits Stored, sign-extended when signed.</summary>
    private static int Sample(ReadOnlySpan<byte> frame, int i, PixelDataInfo info)
    {
        var raw = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(2 * i, 2)) & ((1 << info.BitsStored) - 1);
        return info.PixelRepresentation == 1 && (raw & (1 << (info.BitsStored - 1))) != 0 ? raw - (1 << info.BitsStored) : raw;
    }

    /// <summary>One native frame with each sample less the smallest: 0..4095 in 16 bits.</summary>
    public byte[] Map(ReadOnlySpan<byte> frame)
    {
        var count = (int)_native.PixelsPerFrame;
        var mapped = new byte[_native.FrameSize];
        for (var i = 0; i < count; i++) BinaryPrimitives.WriteUInt16LittleEndian(mapped.AsSpan(2 * i), (ushort)(Sample(frame, i, _native) - _minimum));
        return mapped;
    }

    /// <summary>
    /// The data set's attributes for the mapped samples: unsigned, the intercept moved by the smallest sample times the
    /// slope, the padding values moved (or dropped when they fall outside 16 unsigned bits), the smallest and largest
    /// values, which no longer hold, dropped. Bits Stored and High Bit are the encoder's to set.
    /// </summary>
    public void Apply(DicomDataset dataset)
    {
        // Read before Pixel Representation changes: a padding value's VR (US or SS) may follow it.
        var padding = new[] { DicomTags.PixelPaddingValue, DicomTags.PixelPaddingRangeLimit }.Select(t => (Tag: t, Value: dataset.GetInt(t))).ToList();
        dataset.AddOrUpdate(DicomTags.PixelRepresentation, VR.US, (ushort)0);
        var slope = Number(dataset, DicomTags.RescaleSlope) ?? 1;
        var intercept = Number(dataset, DicomTags.RescaleIntercept) ?? 0;
        dataset.AddOrUpdate(DicomTags.RescaleIntercept, VR.DS, DecimalString.Format(intercept + _minimum * slope));
        foreach (var (tag, value) in padding)
        {
            if (!dataset.Contains(tag)) continue;
            dataset.Remove(tag);
            if (value - _minimum is { } moved and >= 0 and <= ushort.MaxValue) dataset.AddOrUpdate(tag, VR.US, (ushort)moved);
        }
        foreach (var tag in new[] { DicomTags.SmallestImagePixelValue, DicomTags.LargestImagePixelValue, DicomTags.SmallestPixelValueInSeries, DicomTags.LargestPixelValueInSeries })
            dataset.Remove(tag);
    }

    private static double? Number(DicomDataset dataset, DicomTag tag) =>
        double.TryParse(dataset.GetString(tag)?.Split('\\')[0].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
}
