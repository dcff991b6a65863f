using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Indexing;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Query;

/// <summary>
/// The one query engine of C-FIND and QIDO-RS (STYLE lesson 7). Candidates come from the catalog, pre-filtered in SQL
/// on the columns it has, or from the query index when one is configured and covers a matching key the catalog cannot
/// pre-filter; every candidate is then confirmed by <see cref="QueryMatcher"/> (PS3.4 C.2.2.2, the exact semantics)
/// on its stored attributes, so both sources may over-approximate. Results come in ascending order of the level's key
/// (Patient key, Study, Series or SOP Instance UID, ordinal), and offset/limit count confirmed matches. The caller's
/// collections scope is applied here, where no door can forget it.
/// </summary>
public sealed class QueryEngine(ICatalog catalog, IQueryIndex? index = null)
{
    private const int IndexBatch = 500;

    /// <summary>The tags the catalog pre-filters on (see TciaPacs.Archive.Sqlite); others need the index or a scan.</summary>
    public static readonly IReadOnlySet<DicomTag> CatalogColumns = new HashSet<DicomTag>
    {
        DicomTags.PatientID, DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID, DicomTags.SOPInstanceUID, DicomTags.SOPClassUID,
        DicomTags.StudyDate, DicomTags.AccessionNumber, DicomTags.Modality, DicomTags.ModalitiesInStudy,
    };

    public IReadOnlyList<DicomDataset> Execute(DicomQuery query, CancellationToken cancellationToken = default) =>
        Find(query, cancellationToken).Select(m => m.Response).ToList();

    /// <summary>The matches, streamed in key order, after offset and up to limit.</summary>
    public IEnumerable<QueryMatch> Find(DicomQuery query, CancellationToken cancellationToken = default)
    {
        if (query.Offset < 0) throw new QueryException("offset must not be negative");
        if (query.Limit is < 0) throw new QueryException("limit must not be negative");
        var matches = Confirmed(TimezoneAdjustment.Prepare(query), cancellationToken).Skip(query.Offset);
        return query.Limit is { } limit ? matches.Take(limit) : matches;
    }

    private IEnumerable<QueryMatch> Confirmed(DicomQuery query, CancellationToken ct)
    {
        foreach (var entity in Candidates(query, ct))
        {
            ct.ThrowIfCancellationRequested();
            if (query.Collections != null && entity.Level != QueryLevel.Patient && !query.Collections.Contains(entity.Collection)) continue;
            var attributes = ResponseBuilder.EntityAttributes(entity);
            var compared = attributes;
            if (query.TimezoneOffset is { } timezone)
            {
                // Matched in the query's timezone; answered in it too when that was negotiated, else as stored.
                if (query.TimezoneQueryAdjustment)
                {
                    // Every date and time answered is then in the query's timezone, an entity without one included.
                    TimezoneAdjustment.MoveTo(attributes, timezone);
                    attributes.AddOrUpdate(DicomTags.TimezoneOffsetFromUTC, VR.SH, TimezoneAdjustment.FormatOffset(timezone));
                }
                else if (attributes.Clone() is var moved && TimezoneAdjustment.MoveTo(moved, timezone)) compared = moved;
            }
            if (!QueryMatcher.Matches(compared, query)) continue;
            yield return new QueryMatch(entity, attributes, ResponseBuilder.Build(attributes, query));
        }
    }

    private IEnumerable<CatalogEntity> Candidates(DicomQuery query, CancellationToken ct)
    {
        // Under combined date-time matching a time key does not filter on its own (23:00 on the first day of
        // 20200101-20200102 with 1200-1300 matches): the pre-filters get the date alone, the matcher decides.
        if (query.CombinedPairs() is { Count: > 0 } pairs)
        {
            var times = pairs.Select(p => p.Time).ToHashSet();
            query = query with { Keys = query.Keys.Where(k => !times.Contains(k)).ToList(), CombinedDateTime = false };
        }
        // In a query's timezone, both pre-filters (catalog and index) get the widened keys; the matcher decides.
        if (query.TimezoneOffset != null) query = query with { Keys = TimezoneAdjustment.PreFilterKeys(query.Keys) };
        var matching = query.MatchingKeys.ToList();
        var filter = new CatalogFilter(query.Level) { MatchingKeys = matching, Collections = query.Collections };
        if (!UseIndex(matching)) return catalog.Query(filter, ct);
        return FromIndex(query, filter, ct);
    }

    private bool UseIndex(List<QueryKey> matching)
    {
        if (index == null || matching.Any(k => CatalogColumns.Contains(k.Tag) && k.Kind is MatchKind.SingleValue or MatchKind.UidList)) return false;
        // Private attributes are indexed under their creator's block, not the tag a file happens to use: leave them to the matcher.
        var covered = index.Attributes.Where(a => !a.Tag.IsPrivate).Select(a => a.Tag).ToHashSet();
        return matching.Any(k => !CatalogColumns.Contains(k.Tag) && covered.Contains(k.Tag));
    }

    private IEnumerable<CatalogEntity> FromIndex(DicomQuery query, CatalogFilter filter, CancellationToken ct)
    {
        // The index returns keys in ascending order; ask for everything it has (it is a pre-filter, and the matcher may
        // drop some candidates, so a page of confirmed matches can need more than offset + limit keys).
        var keys = index!.Search(query, int.MaxValue);
        for (var i = 0; i < keys.Count; i += IndexBatch)
        {
            var batch = keys.Skip(i).Take(IndexBatch).ToList();
            foreach (var entity in catalog.Query(filter with { OnlyKeys = batch }, ct)) yield return entity;
        }
    }
}
