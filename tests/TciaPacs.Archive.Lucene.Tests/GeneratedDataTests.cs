using CsCheck;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Lucene.Tests;

/// <summary>Each matching rule of PS3.4 C.2.2.2 at each level over the generated archive, against the brute-force oracle.</summary>
[TestFixture]
public sealed class GeneratedDataTests
{
    private List<IndexedInstance> _data = null!;
    private Oracle _oracle = null!;
    private LuceneQueryIndex _index = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _data = GeneratedInstances.Create();
        _oracle = new Oracle(_data, IndexedAttributes.Default);
        _index = IndexFixture.Build(_data);
    }

    [OneTimeTearDown]
    public void TearDown() => _index.Dispose();

    private static readonly QueryLevel[] Levels = Enum.GetValues<QueryLevel>();

    private static IEnumerable<TestCaseData> Rules()
    {
        (string Name, DicomTag Tag, string Value, bool Fuzzy)[] rules =
        [
            ("single UI", DicomTags.StudyInstanceUID, "1.2.826.0.1.3680043.10.11.0", false),
            ("single UI series", DicomTags.SeriesInstanceUID, "1.2.826.0.1.3680043.10.12.0.1", false),
            ("UID list", DicomTags.SOPInstanceUID, "1.2.826.0.1.3680043.10.11.0.1.1\\1.2.826.0.1.3680043.10.13.0.1.1\\9.9", false),
            ("single CS", DicomTags.Modality, "CT", false),
            ("single CS multi-valued", DicomTags.ImageType, "AXIAL", false),
            ("single LO empty-string values", DicomTags.PatientID, "PAT-002", false),
            ("single PN case-insensitive", DicomTags.PatientName, "doe^john", false),
            ("single PN accents", DicomTags.PatientName, "MÜLLER^JÜRGEN", false),
            ("single PN groups", DicomTags.PatientName, "Yamada^Tarou=山田^太郎", false),
            ("single PN trailing carets", DicomTags.PatientName, "Doe^John^^", false),
            ("fuzzy PN words", DicomTags.PatientName, "jurg mul", true),
            ("fuzzy PN prefix", DicomTags.PatientName, "doe", true),
            ("fuzzy PN accents", DicomTags.ReferringPhysicianName, "jerome", true),
            ("wildcard PN", DicomTags.PatientName, "d*", false),
            ("wildcard PN ?", DicomTags.PatientName, "?OE^J*", false),
            ("wildcard LO", DicomTags.StudyDescription, "*contrast*", false),
            ("wildcard LO case", DicomTags.StudyDescription, "*CONTRAST*", false),
            ("wildcard literal star", DicomTags.StudyDescription, "abdomen*", false),
            ("wildcard LT backslash", DicomTags.ImageComments, "comment ?\\with*", false),
            ("wildcard SH", DicomTags.AccessionNumber, "ACC1?", false),
            ("single DS numeric", DicomTags.KVP, "120", false),
            ("single DS format", DicomTags.PatientWeight, "61.50", false),
            ("single DS multi", DicomTags.PixelSpacing, "0.703125", false),
            ("single US", DicomTags.Rows, "512", false),
            ("single FL", DicomTags.SpiralPitchFactor, "0.2", false),
            ("single FD", DicomTags.CTDIvol, "13.25", false),
            ("single IS", DicomTags.InstanceNumber, "2", false),
            ("single AS", DicomTags.PatientAge, "031Y", false),
            ("DA range", DicomTags.StudyDate, "20000101-20151231", false),
            ("DA open end", DicomTags.StudyDate, "20100101-", false),
            ("DA open start", DicomTags.PatientBirthDate, "-19500101", false),
            ("DA single", DicomTags.AcquisitionDate, "20100101", false),
            ("TM range", DicomTags.StudyTime, "0800-1200", false),
            ("TM partial", DicomTags.ContentTime, "23", false),
            ("TM fraction", DicomTags.ContentTime, "103000-103000.6", false),
            ("DT with offset", DicomTags.AcquisitionDateTime, "20000101000000+0000-20121231235959+0000", false),
            ("DT open", DicomTags.AcquisitionDateTime, "2010-", false),
            ("empty LO", DicomTags.StudyDescription, "\"\"", false),
            ("empty SH", DicomTags.AccessionNumber, "\"\"", false),
            ("empty DS absent", DicomTags.PatientWeight, "\"\"", false),
            ("empty DA", DicomTags.PatientBirthDate, "\"\"", false),
            ("empty TM absent", DicomTags.StudyTime, "\"\"", false),
            ("empty SQ", DicomTags.RequestAttributesSequence, "\"\"", false),
            ("transfer syntax", DicomTags.TransferSyntaxUID, "1.2.840.10008.1.2.4.50", false),
            ("modalities in study", DicomTags.ModalitiesInStudy, "MR", false),
            ("modalities in study list", DicomTags.ModalitiesInStudy, "MR\\PT", false),
            ("SOP classes in study", DicomTags.SOPClassesInStudy, "1.2.840.10008.5.1.4.1.1.4", false),
            ("not indexed", DicomTags.PatientAddress, "x", false),
        ];
        foreach (var r in rules)
            foreach (var level in Levels)
                yield return new TestCaseData(level, r.Tag, r.Value, r.Fuzzy).SetArgDisplayNames(r.Name, level.ToString());
    }

    [TestCaseSource(nameof(Rules))]
    public void RuleAtLevel(QueryLevel level, DicomTag tag, string value, bool fuzzy)
    {
        var query = IndexFixture.Query(level, (tag, value)) with { FuzzyMatching = fuzzy };
        IndexFixture.Check(_index, _oracle, query, personNamesExact: true);
    }

    [Test]
    public void RulesFindSomething()
    {
        // The hand-picked rules are not vacuous: most of them select a proper, non-empty subset.
        var nonEmpty = Rules().Count(tc => _oracle.Strict(IndexFixture.Query((QueryLevel)tc.Arguments[0]!, ((DicomTag)tc.Arguments[1]!, (string)tc.Arguments[2]!))).Count > 0);
        Assert.That(nonEmpty, Is.GreaterThan(Rules().Count() * 3 / 4));
    }

    [Test]
    public void SequenceMatching()
    {
        var item = new List<QueryKey> { QueryKey.Create(DicomTags.RequestedProcedureID, VR.SH, "RP10") };
        foreach (var level in Levels)
        {
            var query = new DicomQuery(level, [new QueryKey(DicomTags.RequestAttributesSequence, VR.SQ, MatchKind.Sequence, "") { ItemKeys = item }]);
            IndexFixture.Check(_index, _oracle, query, personNamesExact: true);
            Assert.That(_index.Search(query, 1000), Is.EqualTo(_oracle.Loose(query)), "a single item key is answered exactly");
        }
    }

    [Test]
    public void RandomQueries() =>
        Gen.Int.Sample(seed =>
        {
            var query = new QueryGenerator(_data, IndexedAttributes.Default).Next(new Random(seed));
            IndexFixture.Check(_index, _oracle, query, personNamesExact: true);
        }, iter: 1500);

    [Test]
    public void CollectionsScope()
    {
        var query = IndexFixture.Query(QueryLevel.Study, (DicomTags.Modality, "CT")) with { Collections = new HashSet<string> { "lidc" } };
        IndexFixture.Check(_index, _oracle, query, personNamesExact: true);
        Assert.That(_index.Search(query with { Collections = new HashSet<string>() }, 100), Is.Empty);
        var all = _index.Search(new DicomQuery(QueryLevel.Study, []) { Collections = new HashSet<string> { "lidc" } }, int.MaxValue);
        Assert.That(all, Is.EqualTo(_data.Where(d => d.Collection == "lidc").Select(d => d.StudyInstanceUid).Distinct().Order(StringComparer.Ordinal)));
    }

    [Test]
    public void MaxResultsKeepsTheSmallestKeys()
    {
        var all = _index.Search(new DicomQuery(QueryLevel.Image, []), int.MaxValue);
        Assert.That(all, Has.Count.EqualTo(_data.Count));
        Assert.That(_index.Search(new DicomQuery(QueryLevel.Image, []), 5), Is.EqualTo(all.Take(5)));
        Assert.That(_index.Search(new DicomQuery(QueryLevel.Image, []), 0), Is.Empty);
    }
}
