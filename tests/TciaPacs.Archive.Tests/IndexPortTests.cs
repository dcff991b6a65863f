using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Tests;

/// <summary>
/// The engine with an <see cref="IQueryIndex"/> plugged in: candidates come from the index (here one that
/// over-approximates: every entity of the level), the matcher confirms them, and results equal the catalog-only engine.
/// </summary>
public sealed class IndexPortTests
{
    [Test]
    public async Task Engine_with_an_over_approximating_index_returns_what_the_catalog_alone_returns()
    {
        var input = Path.Combine(Path.GetTempPath(), "tciapacs-idx-" + Guid.NewGuid().ToString("N")[..12]);
        var data = Path.Combine(Path.GetTempPath(), "tciapacs-idx-data-" + Guid.NewGuid().ToString("N")[..12]);
        var index = new EverythingIndex();
        try
        {
            var files = GeneratedData.Write(input, QueryCases.Run, instances: 2);
            await using (var archive = new DicomArchive(data, SqliteCatalog.OpenDataDirectory(data), index: index))
            {
                foreach (var f in files) Assert.That((await archive.StoreAsync(StoreRequest.FromFile(f))).IsStored, Is.True);
                var plain = new QueryEngine(archive.Catalog);
                foreach (var (name, query) in QueryCases.All())
                {
                    foreach (var q in new[] { query, query with { Offset = 1, Limit = 2 } })
                    {
                        var expected = plain.Find(q).Select(m => m.Entity.Key).ToList();
                        Assert.That(archive.Query.Find(q).Select(m => m.Entity.Key).ToList(), Is.EqualTo(expected), name);
                    }
                }
            }
            // Index updates run in the background; closing the archive waits for them.
            Assert.That(index.Instances, Has.Count.EqualTo(files.Count));
            Assert.That(index.Searches, Is.GreaterThan(0), "queries on keys the catalog cannot pre-filter went to the index");
            Assert.That(index.Commits, Is.GreaterThan(0));
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }

    private sealed class EverythingIndex : IQueryIndex
    {
        public List<IndexedInstance> Instances { get; } = [];
        public int Searches { get; private set; }
        public int Commits { get; private set; }

        public void Index(IndexedInstance instance)
        {
            lock (Instances) Instances.Add(instance);
        }

        public void Delete(string sopInstanceUid)
        {
            lock (Instances) Instances.RemoveAll(i => i.SopInstanceUid == sopInstanceUid);
        }

        public void Commit() => Commits++;

        public int InstanceCount
        {
            get { lock (Instances) return Instances.Count; }
        }

        public void Clear()
        {
            lock (Instances) Instances.Clear();
        }

        public IReadOnlyList<string> Search(DicomQuery query, int maxResults)
        {
            Searches++;
            Func<IndexedInstance, string> key = query.Level switch
            {
                QueryLevel.Patient => i => i.PatientKey,
                QueryLevel.Study => i => i.StudyInstanceUid,
                QueryLevel.Series => i => i.SeriesInstanceUid,
                _ => i => i.SopInstanceUid,
            };
            lock (Instances) return Instances.Select(key).Distinct().Order(StringComparer.Ordinal).Take(maxResults).ToList();
        }

        public IReadOnlyList<IndexedAttribute> Attributes { get; } =
        [
            new(DicomTags.PatientName, "PatientName", VR.PN, QueryLevel.Patient),
            new(DicomTags.StudyDescription, "StudyDescription", VR.LO, QueryLevel.Study),
            new(DicomTags.SeriesNumber, "SeriesNumber", VR.IS, QueryLevel.Series),
            new(DicomTags.InstanceNumber, "InstanceNumber", VR.IS, QueryLevel.Image),
        ];

        public void Dispose() { }
    }
}
