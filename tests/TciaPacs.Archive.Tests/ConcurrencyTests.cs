using TciaPacs.Archive.Query;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Tests;

public sealed class ConcurrencyTests
{
    [Test]
    public async Task Parallel_stores_of_one_study_never_duplicate_rows_or_lose_counts()
    {
        var input = Path.Combine(Path.GetTempPath(), "tciapacs-conc-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            // One patient, one study, 4 series × 20 instances, stored by 8 workers in an interleaved order.
            var files = GeneratedData.Write(input, 21, patients: 1, studies: 1, series: 4, instances: 20);
            files = files.OrderBy(f => f.GetHashCode()).ToList();
            await using var t = new TestArchive();
            var results = new StoreResult[files.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (i, _) => results[i] = await t.StoreAsync(files[i]));
            // And every file a second time, concurrently: all identical duplicates.
            var again = new StoreResult[files.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = 8 },
                async (i, _) => again[i] = await t.StoreAsync(files[i]));

            Assert.That(results.Select(r => r.Status), Is.All.EqualTo(StoreStatus.Success));
            Assert.That(again.Select(r => r.Status), Is.All.EqualTo(StoreStatus.SuccessDuplicate));
            var studies = t.Archive.Query.Execute(QueryCases.Q(QueryLevel.Study, "StudyInstanceUID=", "NumberOfStudyRelatedSeries=", "NumberOfStudyRelatedInstances=", "ModalitiesInStudy=").Query);
            Assert.That(studies, Has.Count.EqualTo(1));
            Assert.That(studies[0].GetString(DicomTags.NumberOfStudyRelatedSeries), Is.EqualTo("4"));
            Assert.That(studies[0].GetString(DicomTags.NumberOfStudyRelatedInstances), Is.EqualTo("80"));
            Assert.That(studies[0].GetStrings(DicomTags.ModalitiesInStudy).Order(), Is.EqualTo(new[] { "CT", "MR", "PT" }));
            var series = t.Archive.Query.Execute(QueryCases.Q(QueryLevel.Series, "SeriesInstanceUID=", "NumberOfSeriesRelatedInstances=").Query);
            Assert.That(series, Has.Count.EqualTo(4));
            Assert.That(series.Select(s => s.GetString(DicomTags.NumberOfSeriesRelatedInstances)), Is.All.EqualTo("20"));
            var patients = t.Archive.Query.Execute(QueryCases.Q(QueryLevel.Patient, "PatientID=", "NumberOfPatientRelatedInstances=").Query);
            Assert.That(patients.Single().GetString(DicomTags.NumberOfPatientRelatedInstances), Is.EqualTo("80"));
            Assert.That(t.FileCount, Is.EqualTo(80));
        }
        finally
        {
            Directory.Delete(input, true);
        }
    }
}
