using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Indexing;

/// <summary>
/// The query index port (implemented with Lucene in TciaPacs.Archive.Lucene). It is a fast pre-filter: it returns the
/// keys of entities that may match; the query engine confirms each with <see cref="QueryMatcher"/> on the catalog's
/// attributes, so an index that over-approximates is correct, one that misses an entity is a bug.
/// The catalog (SQLite) is the source of truth: the index can always be rebuilt from it.
/// </summary>
public interface IQueryIndex : IDisposable
{
    /// <summary>Adds or replaces one instance: its identifying UIDs, its collection and its indexed attributes (all levels merged).</summary>
    void Index(IndexedInstance instance);

    void Delete(string sopInstanceUid);

    /// <summary>Makes what was indexed durable and visible to searches.</summary>
    void Commit();

    /// <summary>Removes everything (before a rebuild).</summary>
    void Clear();

    /// <summary>
    /// The keys (Patient ID + issuer, Study, Series or SOP Instance UID, by level) of entities whose instances may match
    /// the matching keys of <paramref name="query"/> that this index covers, in ascending key order, at most
    /// <paramref name="maxResults"/>. Keys the index does not cover are ignored here (the engine checks them).
    /// </summary>
    IReadOnlyList<string> Search(DicomQuery query, int maxResults);

    /// <summary>Instances visible to searches: after a crash it can fall behind the catalog, which recovery checks.</summary>
    int InstanceCount { get; }

    /// <summary>The attributes this index covers, with the level each lives at.</summary>
    IReadOnlyList<IndexedAttribute> Attributes { get; }
}

/// <summary>An instance as the index sees it.</summary>
public sealed record IndexedInstance(
    string Collection,
    string PatientKey,
    string StudyInstanceUid,
    string SeriesInstanceUid,
    string SopInstanceUid,
    DicomDataset Attributes)
{
    /// <summary>True when the catalog has just inserted it (not a replacement): the index need not look for an older document.</summary>
    public bool IsNew { get; init; }
}

/// <summary>An attribute the index covers and the level (PS3.4 C.6) it belongs to.</summary>
public sealed record IndexedAttribute(DicomTag Tag, string Keyword, VR VR, QueryLevel Level);
