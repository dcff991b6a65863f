using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Lucene.Tests;

/// <summary>Persistence, commit visibility, Clear and Delete, private attributes.</summary>
[TestFixture]
public sealed class LifecycleTests
{
    private static readonly LuceneQueryIndexOptions NoRefresh = new() { RefreshInterval = null };

    private static List<DicomQuery> SampleQueries(List<IndexedInstance> data)
    {
        var generator = new QueryGenerator(data, IndexedAttributes.Default);
        var rng = new Random(42);
        return [.. Enumerable.Range(0, 150).Select(_ => generator.Next(rng)), new DicomQuery(QueryLevel.Series, [])];
    }

    private static List<IReadOnlyList<string>> Run(IQueryIndex index, List<DicomQuery> queries) => queries.Select(q => index.Search(q, int.MaxValue)).ToList();

    [Test]
    public void ReopenedFromDiskGivesTheSameResults()
    {
        var data = GeneratedInstances.Create();
        var queries = SampleQueries(data);
        var folder = Path.Combine(Path.GetTempPath(), "tciapacs-lucene-" + Guid.NewGuid().ToString("N"));
        try
        {
            List<IReadOnlyList<string>> before;
            using (var index = new LuceneQueryIndex(folder, NoRefresh))
            {
                foreach (var i in data) index.Index(i);
                index.Commit();
                before = Run(index, queries);
            }
            using (var reopened = new LuceneQueryIndex(folder, NoRefresh))
            {
                Assert.That(Run(reopened, queries), Is.EqualTo(before));
                var oracle = new Oracle(data, IndexedAttributes.Default);
                foreach (var q in queries) IndexFixture.Check(reopened, oracle, q, personNamesExact: true);
            }
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void DisposeCommitsWhatIsPending()
    {
        var data = GeneratedInstances.Create(patients: 3);
        var folder = Path.Combine(Path.GetTempPath(), "tciapacs-lucene-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var index = new LuceneQueryIndex(folder, NoRefresh))
                foreach (var i in data) index.Index(i);
            using var reopened = new LuceneQueryIndex(folder, NoRefresh);
            Assert.That(reopened.Search(new DicomQuery(QueryLevel.Image, []), int.MaxValue), Has.Count.EqualTo(data.Count));
            Assert.That(reopened.InstanceCount, Is.EqualTo(data.Count));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void AnotherAttributeListEmptiesTheIndexSoThatRecoveryRebuildsIt()
    {
        var data = GeneratedInstances.Create(patients: 3);
        var folder = Path.Combine(Path.GetTempPath(), "tciapacs-lucene-" + Guid.NewGuid().ToString("N"));
        var extra = LuceneQueryIndexOptions.WithExtra(["PatientComments PATIENT"]) with { RefreshInterval = null };
        try
        {
            using (var index = new LuceneQueryIndex(folder, NoRefresh))
            {
                foreach (var i in data) index.Index(i with { IsNew = true });
                index.Commit();
            }
            using (var same = new LuceneQueryIndex(folder, NoRefresh))
                Assert.That(same.InstanceCount, Is.EqualTo(data.Count), "the same list keeps the index");
            using (var other = new LuceneQueryIndex(folder, extra))
                Assert.That(other.InstanceCount, Is.Zero, "another list: the index must be rebuilt, so it is emptied");
            using (var back = new LuceneQueryIndex(folder, NoRefresh))
                Assert.That(back.InstanceCount, Is.Zero, "and switching back does not resurrect stale documents");
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public void IndexedIsVisibleToTheNextSearchWithoutCommitOrTimer()
    {
        // A C-FIND right after an acknowledged C-STORE must find it: no waiting for the refresh timer or a commit.
        var data = GeneratedInstances.Create(patients: 2);
        using var index = LuceneQueryIndex.InMemory(NoRefresh);
        foreach (var i in data.Skip(1)) index.Index(i);
        Assert.That(index.Search(new DicomQuery(QueryLevel.Image, []), 1000), Has.Count.EqualTo(data.Count - 1));
        index.Index(data[0]);
        Assert.That(index.Search(new DicomQuery(QueryLevel.Image, []), 1000), Has.Count.EqualTo(data.Count));
        index.Delete(data[0].SopInstanceUid);
        Assert.That(index.Search(new DicomQuery(QueryLevel.Image, []), 1000), Has.Count.EqualTo(data.Count - 1));
    }

    [Test]
    public void BackgroundRefreshShowsUncommittedInstances()
    {
        var data = GeneratedInstances.Create(patients: 2);
        using var index = LuceneQueryIndex.InMemory(new LuceneQueryIndexOptions { RefreshInterval = TimeSpan.FromMilliseconds(20) });
        foreach (var i in data) index.Index(i);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (index.Search(new DicomQuery(QueryLevel.Image, []), 1000).Count < data.Count && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.That(index.Search(new DicomQuery(QueryLevel.Image, []), 1000), Has.Count.EqualTo(data.Count));
    }

    [Test]
    public void ClearThenReindexGivesTheSameResults()
    {
        var data = GeneratedInstances.Create();
        var queries = SampleQueries(data);
        using var index = IndexFixture.Build(data, NoRefresh);
        var before = Run(index, queries);
        index.Clear();
        Assert.That(index.Search(new DicomQuery(QueryLevel.Patient, []), 100), Is.Empty);
        foreach (var i in data) index.Index(i);
        index.Commit();
        Assert.That(Run(index, queries), Is.EqualTo(before));
    }

    [Test]
    public void ReindexingAnInstanceReplacesIt()
    {
        var data = GeneratedInstances.Create(patients: 2);
        using var index = IndexFixture.Build(data, NoRefresh);
        var first = data[0];
        var changed = first.Attributes.Clone();
        changed.AddOrUpdate(DicomTags.InstanceNumber, VR.IS, "999");
        index.Index(first with { Attributes = changed });
        index.Commit();
        Assert.That(index.Search(IndexFixture.Query(QueryLevel.Image, (DicomTags.InstanceNumber, "999")), 10), Is.EqualTo(new[] { first.SopInstanceUid }));
        Assert.That(index.Search(new DicomQuery(QueryLevel.Image, []), 1000), Has.Count.EqualTo(data.Count));
    }

    [Test]
    public void DeleteRemovesTheInstanceAndEmptiedEntities()
    {
        var data = GeneratedInstances.Create();
        using var index = IndexFixture.Build(data, NoRefresh);
        var series = data.GroupBy(d => d.SeriesInstanceUid).First(g => g.Count() >= 2).ToList();
        index.Delete(series[0].SopInstanceUid);
        index.Commit();
        var remaining = data.Where(d => d.SopInstanceUid != series[0].SopInstanceUid).ToList();
        Assert.That(index.Search(IndexFixture.Query(QueryLevel.Image, (DicomTags.SOPInstanceUID, series[0].SopInstanceUid)), 10), Is.Empty);
        Assert.That(index.Search(IndexFixture.Query(QueryLevel.Series, (DicomTags.SeriesInstanceUID, series[0].SeriesInstanceUid)), 10), Has.Count.EqualTo(1));
        foreach (var i in series.Skip(1)) index.Delete(i.SopInstanceUid);
        index.Commit();
        Assert.That(index.Search(IndexFixture.Query(QueryLevel.Series, (DicomTags.SeriesInstanceUID, series[0].SeriesInstanceUid)), 10), Is.Empty);
        var oracle = new Oracle(data.Where(d => d.SeriesInstanceUid != series[0].SeriesInstanceUid), IndexedAttributes.Default);
        foreach (var q in SampleQueries(remaining)) IndexFixture.Check(index, oracle, q, personNamesExact: true);
    }

    [Test]
    public void PrivateAttributeIsFoundThroughItsCreator()
    {
        var data = GeneratedInstances.Create();
        var options = LuceneQueryIndexOptions.WithExtra([$"0011,xx01@{GeneratedInstances.PrivateCreator} LO Image"]) with { RefreshInterval = null };
        using var index = IndexFixture.Build(data, options);
        Assert.That(index.Attributes.Any(a => a.Keyword == $"0011,xx01@{GeneratedInstances.PrivateCreator}"));
        string? ValueOf(IndexedInstance i)
        {
            var ds = i.Attributes;
            for (ushort slot = 0x10; slot <= 0xFF; slot++)
                if (ds.GetString(new DicomTag(0x0011, slot)) == GeneratedInstances.PrivateCreator)
                    return ds.GetString(new DicomTag(0x0011, (ushort)((slot << 8) | 0x01)));
            return null;
        }
        // The query reserves its own block (0x20) for the creator; the files use 0x10 or 0x11.
        DicomQuery Query(string value, QueryLevel level) => new(level,
        [
            QueryKey.Create(new DicomTag(0x0011, 0x0020), VR.LO, GeneratedInstances.PrivateCreator),
            QueryKey.Create(new DicomTag(0x0011, 0x2001), VR.LO, value),
        ]);
        var expected = data.Where(i => ValueOf(i) == "private-3-1").Select(i => i.SopInstanceUid).Order(StringComparer.Ordinal).ToList();
        Assert.That(expected, Is.Not.Empty);
        Assert.That(index.Search(Query("private-3-1", QueryLevel.Image), 1000), Is.EqualTo(expected));
        var wildcard = data.Where(i => ValueOf(i)!.StartsWith("private-3-", StringComparison.Ordinal)).Select(i => i.StudyInstanceUid).Distinct().Order(StringComparer.Ordinal);
        Assert.That(index.Search(Query("private-3-*", QueryLevel.Study), 1000), Is.EqualTo(wildcard));
        // Without the creator key the private key is not covered: everything may match.
        var bare = new DicomQuery(QueryLevel.Image, [QueryKey.Create(new DicomTag(0x0011, 0x2001), VR.LO, "private-3-1")]);
        Assert.That(index.Search(bare, int.MaxValue), Has.Count.EqualTo(data.Count));
    }
}
