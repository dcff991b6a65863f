using TciaPacs.Dicom;

namespace TciaPacs.Archive.Catalog;

/// <summary>
/// One instance as the catalog records it: its place in the hierarchy, its file, and the attributes of each level
/// (<see cref="LevelAttributes"/>) so that queries never open files.
/// </summary>
public sealed record CatalogEntry
{
    public required string Collection { get; init; }
    public required string PatientKey { get; init; }
    public required string PatientId { get; init; }
    public required string StudyInstanceUid { get; init; }
    public required string SeriesInstanceUid { get; init; }
    public required string SopInstanceUid { get; init; }
    public required string SopClassUid { get; init; }
    public required string TransferSyntaxUid { get; init; }

    /// <summary>The file, relative to the file store root, with '/' separators.</summary>
    public required string RelativePath { get; init; }

    public required long Size { get; init; }

    /// <summary>SHA-256 (hex) of the data set bytes (file meta excluded): equal hashes mean identical content.</summary>
    public required string ContentHash { get; init; }

    public required DateTimeOffset IngestTime { get; init; }

    public required DicomDataset PatientAttributes { get; init; }
    public required DicomDataset StudyAttributes { get; init; }
    public required DicomDataset SeriesAttributes { get; init; }
    public required DicomDataset InstanceAttributes { get; init; }

    /// <summary>Replace an instance with the same SOP Instance UID and other content instead of refusing.</summary>
    public bool ReplaceExisting { get; init; }
}
