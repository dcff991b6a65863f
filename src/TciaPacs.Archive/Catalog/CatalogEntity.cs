using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Catalog;

/// <summary>
/// A patient, study, series or instance read from the catalog: its key (the level's unique key), collection, the stored
/// attribute documents of its level and the levels above (null below it), and its computed counts.
/// </summary>
public sealed record CatalogEntity(QueryLevel Level, string Key, string Collection, EntityCounts Counts)
{
    public required DicomDataset Patient { get; init; }
    public DicomDataset? Study { get; init; }
    public DicomDataset? Series { get; init; }
    public DicomDataset? Instance { get; init; }

    /// <summary>For instances: the file relative to the file store root.</summary>
    public string? RelativePath { get; init; }
    public string? TransferSyntaxUid { get; init; }
}
