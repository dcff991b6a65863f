using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Lucene.Tests;

/// <summary>Helpers shared by the tests: indexing a set, and checking a query against the oracle.</summary>
internal static class IndexFixture
{
    public static LuceneQueryIndex Build(IEnumerable<IndexedInstance> instances, LuceneQueryIndexOptions? options = null)
    {
        var index = LuceneQueryIndex.InMemory(options ?? new LuceneQueryIndexOptions { RefreshInterval = null });
        foreach (var i in instances) index.Index(i);
        index.Commit();
        return index;
    }

    /// <summary>The index never misses (⊇ strict oracle) and, for keys it covers exactly, equals the loose oracle.</summary>
    public static void Check(IQueryIndex index, Oracle oracle, DicomQuery query, bool personNamesExact)
    {
        var found = index.Search(query, int.MaxValue);
        var strict = oracle.Strict(query);
        var describe = $"{query.Level} fuzzy={query.FuzzyMatching} collections={(query.Collections == null ? "all" : string.Join(",", query.Collections))} keys: {string.Join(" & ", query.MatchingKeys)}";
        Assert.That(found, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal), describe);
        var missing = strict.Except(found).ToList();
        Assert.That(missing, Is.Empty, $"index missed entities for {describe}");
        if (Exactness.IsExact(query, personNamesExact))
            Assert.That(found, Is.EqualTo(oracle.Loose(query)), $"index not exact for {describe}");
    }

    public static DicomQuery Query(QueryLevel level, params (DicomTag Tag, string Value)[] keys) =>
        new(level, keys.Select(k => QueryKey.Create(k.Tag, DicomDictionary.ImpliedVR(k.Tag), k.Value)).ToList());
}
