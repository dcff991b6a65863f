using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Lucene.Tests;

/// <summary>
/// Brute-force evaluation of a query over the instances with <see cref="QueryMatcher"/>, the reference the index must
/// never fall short of. <see cref="Strict"/> is what an engine over a catalog does: an attribute of a level at or above
/// the entity's is read from one instance (the first stored) of its entity; one below it matches when any instance of
/// the entity does. <see cref="Loose"/> lets any instance of the attribute's entity answer: what the index computes
/// exactly for the keys it covers exactly.
/// </summary>
internal sealed class Oracle
{
    private readonly List<IndexedInstance> _instances;
    private readonly Dictionary<DicomTag, IndexedAttribute> _attributes;

    public Oracle(IEnumerable<IndexedInstance> instances, IEnumerable<IndexedAttribute> attributes)
    {
        // Index(…) replaces an instance with the same SOP Instance UID: the last one stands.
        var bySop = new Dictionary<string, int>(StringComparer.Ordinal);
        _instances = [];
        foreach (var i in instances)
        {
            if (bySop.TryGetValue(i.SopInstanceUid, out var at)) _instances[at] = i;
            else { bySop[i.SopInstanceUid] = _instances.Count; _instances.Add(i); }
        }
        _attributes = attributes.Where(a => !a.Tag.IsPrivate).ToDictionary(a => a.Tag);
    }

    public IReadOnlyList<IndexedInstance> Instances => _instances;

    public static string KeyOf(IndexedInstance i, QueryLevel level) => level switch
    {
        QueryLevel.Patient => i.PatientKey,
        QueryLevel.Study => i.StudyInstanceUid,
        QueryLevel.Series => i.SeriesInstanceUid,
        _ => i.SopInstanceUid,
    };

    public List<string> Strict(DicomQuery query) => Evaluate(query, strict: true, coveredOnly: false);

    public List<string> Loose(DicomQuery query) => Evaluate(query, strict: false, coveredOnly: true);

    private List<string> Evaluate(DicomQuery query, bool strict, bool coveredOnly)
    {
        var scope = _instances.Where(i => query.Collections == null || query.Collections.Contains(i.Collection)).ToList();
        var groups = new Dictionary<(QueryLevel, string), List<IndexedInstance>>();
        foreach (var i in scope)
            foreach (var l in Enum.GetValues<QueryLevel>())
            {
                if (!groups.TryGetValue((l, KeyOf(i, l)), out var g)) groups[(l, KeyOf(i, l))] = g = [];
                g.Add(i);
            }
        var result = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, members) in groups.Where(g => g.Key.Item1 == query.Level).Select(g => (g.Key.Item2, g.Value)))
        {
            var ok = true;
            foreach (var k in query.MatchingKeys)
            {
                var covered = _attributes.TryGetValue(k.Tag, out var attribute);
                if (!covered && coveredOnly) continue;
                var level = covered ? attribute!.Level : QueryLevel.Image;
                var g = (QueryLevel)Math.Min((int)level, (int)query.Level);
                var ancestor = groups[(g, KeyOf(members[0], g))];
                if (IndexedAttributes.DerivedFrom.TryGetValue(k.Tag, out var source))
                {
                    ok = ancestor.GroupBy(i => i.StudyInstanceUid).Any(study => QueryMatcher.Matches(Derived(k.Tag, source, study), k, query.FuzzyMatching));
                }
                else if (strict && level < query.Level)
                {
                    ok = QueryMatcher.Matches(ancestor[0].Attributes, k, query.FuzzyMatching);
                }
                else
                {
                    ok = ancestor.Any(i => QueryMatcher.Matches(i.Attributes, k, query.FuzzyMatching));
                }
                if (!ok) break;
            }
            if (ok) result.Add(key);
        }
        return [.. result];
    }

    // Modalities in Study / SOP Classes in Study: the distinct values over the study's instances (PS3.4 C.6.1.1.3).
    private static DicomDataset Derived(DicomTag tag, DicomTag source, IEnumerable<IndexedInstance> study)
    {
        var values = study.SelectMany(i => i.Attributes.GetStrings(source)).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        var ds = new DicomDataset();
        if (values.Length > 0) ds.AddOrUpdate(tag, DicomDictionary.ImpliedVR(tag), values);
        return ds;
    }
}
