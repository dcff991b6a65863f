using TciaPacs.Archive.Query;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Archive.Tests;

/// <summary>
/// The whole corpus and a generated hierarchy imported once; every query of <see cref="QueryCases"/> must return
/// exactly what <see cref="BruteForceOracle"/> computes from the files: same keys, same order, with and without paging,
/// with and without a collections scope.
/// </summary>
[NonParallelizable]
public sealed class QueryEngineTests
{
    private TestArchive _archive = null!;
    private readonly BruteForceOracle _oracle = new();
    private string _generated = "";
    private int _corpusStored;

    [OneTimeSetUp]
    public async Task ImportAsync()
    {
        _archive = new TestArchive();
        foreach (var entry in Corpus.Entries)
        {
            var r = await _archive.StoreAsync(entry.FullPath, "corpus");
            if (r.Status is StoreStatus.Success or StoreStatus.Warning)
            {
                _oracle.Add(_archive.Archive.Files.FullPath(r.StoredPath!), "corpus");
                _corpusStored++;
            }
        }
        _generated = Path.Combine(Path.GetTempPath(), "tciapacs-gen-" + Guid.NewGuid().ToString("N")[..12]);
        var files = GeneratedData.Write(_generated, QueryCases.Run);
        var results = new StoreResult[files.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (i, _) => results[i] = await _archive.StoreAsync(files[i], "gen"));
        foreach (var r in results)
        {
            Assert.That(r.Status, Is.EqualTo(StoreStatus.Success), r.Reason);
            _oracle.Add(_archive.Archive.Files.FullPath(r.StoredPath!), "gen");
        }
    }

    [OneTimeTearDown]
    public async Task CleanUpAsync()
    {
        await _archive.DisposeAsync();
        Directory.Delete(_generated, true);
    }

    [Test]
    public void Most_of_the_corpus_is_stored()
    {
        Assert.That(_corpusStored, Is.GreaterThan(200));
        Assert.That(_archive.Archive.Catalog.CountInstances(), Is.EqualTo(_oracle.Count));
    }

    public static IEnumerable<TestCaseData> Cases() => QueryCases.All().Select(c => new TestCaseData(c.Query).SetArgDisplayNames(c.Name));

    [TestCaseSource(nameof(Cases))]
    public void Matches_brute_force(DicomQuery query)
    {
        Assert.That(_oracle.Expected(query), Is.Not.Empty, "every case selects something");
        Assert.That(_oracle.Expected(query with { Collections = new HashSet<string> { "gen" } }).Count, Is.LessThan(_oracle.Expected(query with { Collections = new HashSet<string> { "gen" }, Level = QueryLevel.Image, Keys = [] }).Count), "and not everything");
        foreach (var q in new[]
        {
            query,
            query with { Offset = 2, Limit = 3 },
            query with { Limit = 1 },
            query with { Collections = new HashSet<string> { "gen" } },
            query with { Collections = new HashSet<string> { "corpus" }, Offset = 1 },
        })
        {
            var expected = _oracle.Expected(q);
            var actual = _archive.Archive.Query.Find(q).Select(m => m.Entity.Key).ToList();
            Assert.That(actual, Is.EqualTo(expected), $"offset {q.Offset} limit {q.Limit} collections {string.Join(",", q.Collections ?? new HashSet<string>())}");
        }
    }

    [Test]
    public void Generated_data_has_the_expected_shape()
    {
        Assert.That(_archive.Archive.Query.Execute(QueryCases.Q(QueryLevel.Patient, $"PatientID=GEN{QueryCases.Run}-*").Query), Has.Count.EqualTo(3));
        var studies = _archive.Archive.Query.Execute(QueryCases.Q(QueryLevel.Study, $"PatientID=GEN{QueryCases.Run}-*", "NumberOfStudyRelatedSeries=", "NumberOfStudyRelatedInstances=", "ModalitiesInStudy=").Query);
        Assert.That(studies, Has.Count.EqualTo(12));
        Assert.That(studies.Select(s => s.GetString(DicomTags.NumberOfStudyRelatedInstances)), Is.All.EqualTo("15"));
        Assert.That(studies.Select(s => s.GetString(DicomTags.NumberOfStudyRelatedSeries)), Is.All.EqualTo("3"));
        Assert.That(studies.Select(s => s.GetStrings(DicomTags.ModalitiesInStudy).Length), Is.All.EqualTo(3));
        // A multi-valued Accession Number (VM 1 broken, as in real files) is found by its second value.
        Assert.That(_archive.Archive.Query.Execute(QueryCases.Q(QueryLevel.Study, "AccessionNumber=OTHER1").Query), Has.Count.EqualTo(1));
    }

    [Test]
    public void Responses_carry_requested_keys_unique_keys_and_utf8_character_set()
    {
        var responses = _archive.Archive.Query.Execute(QueryCases.Q(QueryLevel.Series, $"PatientID=GEN{QueryCases.Run}-1", "PatientName=", "Modality=CT", "SeriesDescription=", "BodyPartExamined=").Query);
        Assert.That(responses, Is.Not.Empty);
        foreach (var r in responses)
        {
            Assert.That(r.GetString(DicomTags.SpecificCharacterSet), Is.EqualTo("ISO_IR 192"));
            Assert.That(r.GetString(DicomTags.PatientName), Is.EqualTo("Müller^Anna^Maria"));
            Assert.That(r.Contains(DicomTags.StudyInstanceUID) && r.Contains(DicomTags.SeriesInstanceUID), Is.True);
            Assert.That(r.Contains(DicomTags.BodyPartExamined), Is.True, "absent keys are returned empty");
            Assert.That(r.Contains(DicomTags.SOPInstanceUID), Is.False);
        }
        var ascii = _archive.Archive.Query.Execute(QueryCases.Q(QueryLevel.Study, $"PatientID=GEN{QueryCases.Run}-2", "StudyDescription=").Query);
        Assert.That(ascii.Select(r => r.Contains(DicomTags.SpecificCharacterSet)), Is.All.False);
    }
}
