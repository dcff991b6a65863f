namespace TciaPacs.Dicom.IO;

/// <summary>How much of a file to read and what to leave on disk.</summary>
public sealed record DicomReadOptions
{
    /// <summary>Values at least this long are left in the file as <see cref="FileBuffer"/> references when the file is known (opened by path). Default 64 KiB.</summary>
    public long LargeValueThreshold { get; init; } = 64 * 1024;

    /// <summary>Stop reading the top-level data set before the first tag at or after this one (e.g. Pixel Data, for indexing).</summary>
    public DicomTag? StopBeforeTag { get; init; }

    /// <summary>Maximum nesting depth of sequences, a guard against hostile input.</summary>
    public int MaxSequenceDepth { get; init; } = 64;

    public static readonly DicomReadOptions Default = new();

    public static readonly DicomReadOptions HeaderOnly = new() { StopBeforeTag = DicomTags.PixelData };
}
