namespace TciaPacs.Dicom.IO;

public sealed record DicomWriteOptions
{
    /// <summary>Write sequences and items with explicit lengths instead of delimiters (both are valid, PS3.5 7.5).</summary>
    public bool ExplicitLengthSequences { get; init; }

    /// <summary>Keep group length elements (gggg,0000) of the data set; they are retired and become stale on re-encoding, so by default they are dropped.</summary>
    public bool KeepGroupLengths { get; init; }

    public System.IO.Compression.CompressionLevel DeflateLevel { get; init; } = System.IO.Compression.CompressionLevel.Optimal;

    public static readonly DicomWriteOptions Default = new();
}
