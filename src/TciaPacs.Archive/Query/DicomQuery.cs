using TciaPacs.Dicom;

namespace TciaPacs.Archive.Query;

/// <summary>
/// One query, whichever door it came in by (C-FIND identifier or QIDO-RS parameters): the level, the keys (matching
/// and return), fuzzy matching, paging. The catalog, the index and the in-memory matcher all run this one model.
/// </summary>
public sealed record DicomQuery(QueryLevel Level, IReadOnlyList<QueryKey> Keys)
{
    /// <summary>Fuzzy semantic matching of person names (PS3.4 C.2.2.2.1.3; algorithm in <see cref="PersonNameMatcher"/>).</summary>
    public bool FuzzyMatching { get; init; }

    /// <summary>
    /// Combined date and time range matching (PS3.4 C.2.2.2.5, negotiated by C-FIND's extended negotiation): a date key
    /// and its time key (<see cref="DateTimePairs"/>) match together, as one range from the first date at the first time
    /// to the last date at the last time, instead of each on its own.
    /// </summary>
    public bool CombinedDateTime { get; init; }

    /// <summary>
    /// The query's timezone, from its Timezone Offset From UTC (0008,0201) key (set by <see cref="TimezoneAdjustment.Prepare"/>):
    /// dates and times are matched in it.
    /// </summary>
    public TimeSpan? TimezoneOffset { get; init; }

    /// <summary>
    /// Timezone query adjustment, negotiated by C-FIND's extended negotiation (PS3.4 C.2.2.2): the responses' dates and
    /// times are in the query's timezone too, not as stored.
    /// </summary>
    public bool TimezoneQueryAdjustment { get; init; }

    /// <summary>The date and time attributes that combined matching pairs.</summary>
    public static IReadOnlyList<(DicomTag Date, DicomTag Time)> DateTimePairs { get; } =
    [
        (DicomTags.StudyDate, DicomTags.StudyTime), (DicomTags.SeriesDate, DicomTags.SeriesTime),
        (DicomTags.AcquisitionDate, DicomTags.AcquisitionTime), (DicomTags.ContentDate, DicomTags.ContentTime),
        (DicomTags.InstanceCreationDate, DicomTags.InstanceCreationTime), (DicomTags.PatientBirthDate, DicomTags.PatientBirthTime),
        (DicomTags.PerformedProcedureStepStartDate, DicomTags.PerformedProcedureStepStartTime),
    ];

    /// <summary>
    /// The pairs whose date and time keys are both matching keys, under combined matching; empty otherwise. The catalog
    /// and the index pre-filter on the date alone then (a superset), and the matcher decides.
    /// </summary>
    public IReadOnlyList<(QueryKey Date, QueryKey Time)> CombinedPairs()
    {
        if (!CombinedDateTime) return [];
        var pairs = new List<(QueryKey, QueryKey)>();
        foreach (var (date, time) in DateTimePairs)
            if (Keys.FirstOrDefault(k => k.Tag == date && k.Kind == MatchKind.Range) is { } d
                && Keys.FirstOrDefault(k => k.Tag == time && k.Kind == MatchKind.Range) is { } t)
                pairs.Add((d, t));
        return pairs;
    }

    public int Offset { get; init; }

    /// <summary>At most this many results (null: no limit).</summary>
    public int? Limit { get; init; }

    /// <summary>The collections the caller may see (null: all). Applied inside the engine, where no door can forget it.</summary>
    public IReadOnlySet<string>? Collections { get; init; }

    public IEnumerable<QueryKey> MatchingKeys => Keys.Where(k => k.IsMatching);

    /// <summary>
    /// Builds a query from a C-FIND identifier (PS3.4 C.4.1.1.3): every element is a key, with its value a matching
    /// value; (0008,0052) Query/Retrieve Level and (0008,0005) are not keys, nor are command and file meta elements
    /// (groups 0000 and 0002), which never belong in a data set (PS3.10 7.1): Orthanc 1.10 puts (0002,0003) Media
    /// Storage SOP Instance UID in its IMAGE level identifiers, and as a key it would match nothing.
    /// </summary>
    public static DicomQuery FromIdentifier(DicomDataset identifier, QueryLevel? level = null)
    {
        var lvl = level ?? ParseLevel(identifier.GetString(DicomTags.QueryRetrieveLevel));
        return new DicomQuery(lvl, KeysOf(identifier));
    }

    private static List<QueryKey> KeysOf(DicomDataset ds)
    {
        var keys = new List<QueryKey>();
        foreach (var e in ds)
        {
            if (e.Tag == DicomTags.QueryRetrieveLevel || e.Tag == DicomTags.SpecificCharacterSet || e.Tag.IsGroupLength || e.Tag.Group is 0x0000 or 0x0002) continue;
            if (e is DicomSequence sq)
            {
                var itemKeys = sq.Items.Count > 0 ? KeysOf(sq.Items[0]) : [];
                keys.Add(new QueryKey(e.Tag, VR.SQ, itemKeys.Any(k => k.IsMatching) ? MatchKind.Sequence : MatchKind.Universal, "") { ItemKeys = itemKeys });
                continue;
            }
            var vr = ds.ValueVR(e);
            var value = vr.IsString ? ds.GetString(e) : string.Join('\\', ds.GetStrings(e));
            keys.Add(QueryKey.Create(e.Tag, vr, value));
        }
        return keys;
    }

    public static QueryLevel ParseLevel(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        "PATIENT" => QueryLevel.Patient,
        "STUDY" => QueryLevel.Study,
        "SERIES" => QueryLevel.Series,
        "IMAGE" or "INSTANCE" => QueryLevel.Image,
        null or "" => throw new QueryException("(0008,0052) Query/Retrieve Level is missing"),
        var v => throw new QueryException($"(0008,0052) Query/Retrieve Level '{v}' is not PATIENT, STUDY, SERIES or IMAGE"),
    };
}
