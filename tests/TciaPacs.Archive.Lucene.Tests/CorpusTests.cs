using CsCheck;
using TciaPacs.Archive.Indexing;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Archive.Lucene.Tests;

/// <summary>Every corpus file that parses, indexed, and random queries built from its values checked against the oracle.</summary>
[TestFixture]
public sealed class CorpusTests
{
    private List<IndexedInstance> _data = null!;
    private Oracle _oracle = null!;
    private LuceneQueryIndex _index = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _data = [];
        var n = 0;
        foreach (var path in Corpus.Readable().Select(tc => (string)tc.Arguments[0]!))
        {
            var file = DicomFile.Open(Corpus.PathOf(path));
            var ds = file.Dataset;
            if (file.Meta.GetString(DicomTags.TransferSyntaxUID) is { Length: > 0 } ts) ds.AddOrUpdate(DicomTags.TransferSyntaxUID, VR.UI, ts);
            string Or(string? value, string fallback) => string.IsNullOrEmpty(value) ? fallback : value;
            var patientKey = (ds.GetString(DicomTags.PatientID) ?? "") + "^" + (ds.GetString(DicomTags.IssuerOfPatientID) ?? "");
            var study = Or(ds.GetString(DicomTags.StudyInstanceUID), "study:" + path);
            var series = Or(ds.GetString(DicomTags.SeriesInstanceUID), "series:" + path);
            var sop = Or(ds.GetString(DicomTags.SOPInstanceUID), "sop:" + path);
            _data.Add(new IndexedInstance(n++ % 3 == 0 ? "corpus-a" : "corpus-b", patientKey, study, series, sop, ds));
        }
        _oracle = new Oracle(_data, IndexedAttributes.Default);
        _index = IndexFixture.Build(_data);
    }

    [OneTimeTearDown]
    public void TearDown() => _index.Dispose();

    [Test]
    public void EveryReadableFileIsIndexed()
    {
        Assert.That(_data, Has.Count.GreaterThan(100));
        Assert.That(_index.Search(new Query.DicomQuery(Query.QueryLevel.Image, []), int.MaxValue), Has.Count.EqualTo(_oracle.Instances.Count));
    }

    [Test]
    public void RandomQueriesNeverMiss() =>
        Gen.Int.Sample(seed =>
        {
            var query = new QueryGenerator(_oracle.Instances, IndexedAttributes.Default).Next(new Random(seed));
            // Corpus names and dates may be multi-valued or use exotic case mappings: exactness is asserted for the other kinds.
            IndexFixture.Check(_index, _oracle, query, personNamesExact: false);
        }, iter: 1500);
}
