namespace TciaPacs.Archive.Catalog;

/// <summary>The computed attributes of an entity (PS3.4 C.6.1.1.x/C.6.2.1.x "Number of … Related …", ModalitiesInStudy, SOPClassesInStudy).</summary>
public sealed record EntityCounts
{
    public int? RelatedStudies { get; init; }
    public int? RelatedSeries { get; init; }
    public int? RelatedInstances { get; init; }

    /// <summary>The bytes of a series' stored files (series level; null where the catalog does not say).</summary>
    public long? Size { get; init; }
    public IReadOnlyList<string>? ModalitiesInStudy { get; init; }
    public IReadOnlyList<string>? SopClassesInStudy { get; init; }
}
