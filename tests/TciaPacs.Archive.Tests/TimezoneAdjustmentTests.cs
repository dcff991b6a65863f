using NUnit.Framework;
using TciaPacs.Archive.Query;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Tests;

/// <summary>
/// Timezone Offset From UTC in a query (PS3.4 C.2.2.2.1.3): dates and times are compared in the query's timezone,
/// through the catalog's pre-filter (a study stored on the next day by its own clock), and answered in it when
/// timezone query adjustment was negotiated.
/// </summary>
public sealed class TimezoneAdjustmentTests
{
    private const string Root = "1.2.826.0.1.3680043.10.543.77";
    private TestArchive _archive = null!;
    private string _files = null!;

    // A and B are the same moment (23:30 UTC on 1 January); C has no timezone; D has a date and no time.
    private static readonly (string Name, string Date, string? Time, string? Zone, string? AcquisitionDateTime)[] Studies =
    [
        ("A", "20240101", "233000", "+0000", "20240101233000"),
        ("B", "20240102", "003000", "+0100", "20240102003000+0100"),
        ("C", "20240101", "120000", null, "20240101120000"),
        ("D", "20240101", null, "+0000", null),
    ];

    private static string StudyUid(string name) => $"{Root}.{name[0] - 'A' + 1}";

    [OneTimeSetUp]
    public async Task StoreAsync()
    {
        _archive = new TestArchive();
        _files = Path.Combine(Path.GetTempPath(), "tciapacs-tz-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_files);
        foreach (var s in Studies)
        {
            var ds = new DicomDataset();
            ds.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, "1.2.840.10008.5.1.4.1.1.7");
            ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, StudyUid(s.Name) + ".1.1");
            ds.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, StudyUid(s.Name));
            ds.AddOrUpdate(DicomTags.SeriesInstanceUID, VR.UI, StudyUid(s.Name) + ".1");
            ds.AddOrUpdate(DicomTags.PatientID, VR.LO, "TZ-" + s.Name);
            ds.AddOrUpdate(DicomTags.Modality, VR.CS, "OT");
            ds.AddOrUpdate(DicomTags.StudyDate, VR.DA, s.Date);
            if (s.Time != null) ds.AddOrUpdate(DicomTags.StudyTime, VR.TM, s.Time);
            if (s.Zone != null) ds.AddOrUpdate(DicomTags.TimezoneOffsetFromUTC, VR.SH, s.Zone);
            if (s.AcquisitionDateTime != null) ds.AddOrUpdate(DicomTags.AcquisitionDateTime, VR.DT, s.AcquisitionDateTime);
            var path = Path.Combine(_files, s.Name + ".dcm");
            new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).Save(path);
            Assert.That((await _archive.StoreAsync(path)).Status, Is.EqualTo(StoreStatus.Success));
        }
    }

    [OneTimeTearDown]
    public async Task CleanUpAsync()
    {
        await _archive.DisposeAsync();
        Directory.Delete(_files, true);
    }

    private List<DicomDataset> Find(QueryLevel level, bool negotiated, params (DicomTag Tag, VR VR, string Value)[] keys) =>
        _archive.Archive.Query.Find(new DicomQuery(level, keys.Select(k => QueryKey.Create(k.Tag, k.VR, k.Value)).ToList()) { TimezoneQueryAdjustment = negotiated })
            .Select(m => m.Response).ToList();

    private static string[] Names(IEnumerable<DicomDataset> responses) =>
        responses.Select(r => Studies.Single(s => StudyUid(s.Name) == r.GetString(DicomTags.StudyInstanceUID)).Name).Order().ToArray();

    [Test]
    public void Dates_and_times_are_matched_in_the_querys_timezone()
    {
        (DicomTag, VR, string) Zone(string z) => (DicomTags.TimezoneOffsetFromUTC, VR.SH, z);
        var date = (DicomTags.StudyDate, VR.DA, "20240101");
        var evening = (DicomTags.StudyTime, VR.TM, "1800-1900");
        // 18:30 in New York is 23:30 UTC, A and B; C (no timezone of its own) is read as New York's: 12:00.
        Assert.That(Names(Find(QueryLevel.Study, false, date, evening, Zone("-0500"))), Is.EqualTo(new[] { "A", "B" }));
        Assert.That(Names(Find(QueryLevel.Study, false, date, evening)), Is.Empty, "without a timezone, as stored");
        // B is stored on 2 January by its own clock: the catalog's date pre-filter must not drop it.
        Assert.That(Names(Find(QueryLevel.Study, false, date, Zone("-0500"))), Is.EqualTo(new[] { "A", "B", "C", "D" }));
        Assert.That(Names(Find(QueryLevel.Study, false, date)), Is.EqualTo(new[] { "A", "C", "D" }));
        // 00:30 on 2 January in Paris: A moves to the next day, D (no time) cannot move and stays on the first.
        Assert.That(Names(Find(QueryLevel.Study, false, (DicomTags.StudyDate, VR.DA, "20240102"), Zone("+0100"))), Is.EqualTo(new[] { "A", "B" }));
        // The timezone is not a value to match: a study without one, or with another, is not left out.
        Assert.That(Names(Find(QueryLevel.Study, false, Zone("+0900"))), Is.EqualTo(new[] { "A", "B", "C", "D" }));
    }

    [Test]
    public void A_datetime_without_an_offset_is_read_in_the_querys_timezone()
    {
        var range = (DicomTags.AcquisitionDateTime, VR.DT, "20240101183000-20240101183059");
        var zone = (DicomTags.TimezoneOffsetFromUTC, VR.SH, "-0500");
        // A's value has no offset (its instance is at +0000), B's has its own: both are 18:30 in New York.
        Assert.That(Names(Find(QueryLevel.Image, false, range, zone)), Is.EqualTo(new[] { "A", "B" }));
        Assert.That(Names(Find(QueryLevel.Image, false, range)), Is.Empty);
        // With an explicit offset in the key, the query's timezone changes nothing for the key itself.
        Assert.That(Names(Find(QueryLevel.Image, false, (DicomTags.AcquisitionDateTime, VR.DT, "20240101233000+0000-20240101233059+0000"), zone)), Is.EqualTo(new[] { "A", "B" }));
    }

    [Test]
    public void Responses_are_in_the_querys_timezone_only_when_negotiated()
    {
        var keys = new[]
        {
            (DicomTags.StudyDate, VR.DA, ""), (DicomTags.StudyTime, VR.TM, ""), (DicomTags.TimezoneOffsetFromUTC, VR.SH, "-0500"),
            (DicomTags.StudyInstanceUID, VR.UI, StudyUid("B")),
        };
        var adjusted = Find(QueryLevel.Study, true, keys).Single();
        Assert.That(adjusted.GetString(DicomTags.StudyDate), Is.EqualTo("20240101"));
        Assert.That(adjusted.GetString(DicomTags.StudyTime), Is.EqualTo("183000"));
        Assert.That(adjusted.GetString(DicomTags.TimezoneOffsetFromUTC), Is.EqualTo("-0500"));
        var asStored = Find(QueryLevel.Study, false, keys).Single();
        Assert.That(asStored.GetString(DicomTags.StudyDate), Is.EqualTo("20240102"));
        Assert.That(asStored.GetString(DicomTags.StudyTime), Is.EqualTo("003000"));
        Assert.That(asStored.GetString(DicomTags.TimezoneOffsetFromUTC), Is.EqualTo("+0100"));
        // C has no timezone: it is read in the query's, so nothing moves, and under adjustment its answer says so.
        var c = Find(QueryLevel.Study, true, [.. keys[..3], (DicomTags.StudyInstanceUID, VR.UI, StudyUid("C"))]).Single();
        Assert.That(c.GetString(DicomTags.StudyTime), Is.EqualTo("120000"));
        Assert.That(c.GetString(DicomTags.TimezoneOffsetFromUTC), Is.EqualTo("-0500"));
        var cAsStored = Find(QueryLevel.Study, false, [.. keys[..3], (DicomTags.StudyInstanceUID, VR.UI, StudyUid("C"))]).Single();
        Assert.That(cAsStored.GetString(DicomTags.TimezoneOffsetFromUTC), Is.Empty, "none made up without adjustment");
    }

    [TestCase("+2500")]
    [TestCase("0100")]
    [TestCase("+01:00")]
    [TestCase("UTC")]
    public void A_timezone_that_is_not_one_is_refused(string zone)
    {
        var ex = Assert.Throws<QueryException>(() => Find(QueryLevel.Study, false, (DicomTags.TimezoneOffsetFromUTC, VR.SH, zone)));
        Assert.That(ex!.Message, Does.Contain("(0008,0201)").And.Contain("+HHMM"));
        if (zone == "0100") Assert.That(ex.Message, Does.Contain("%2B"));
    }

    [TestCase("20240101", "2330", "+0000", "-0530", "20240101", "1800")]
    [TestCase("20240101", "23", "+0000", "+0100", "20240102", "00")]
    [TestCase("20240101", "23", "+0000", "+0130", "20240102", "0030")]
    [TestCase("20240301", "003000.25", "+0000", "-0100", "20240229", "233000.25")]
    [TestCase("", "0100", "+0200", "+0000", "", "2300")]
    public void A_date_and_time_move_together_at_their_precision(string date, string time, string own, string target, string movedDate, string movedTime)
    {
        var ds = new DicomDataset();
        if (date.Length > 0) ds.AddOrUpdate(DicomTags.StudyDate, VR.DA, date);
        ds.AddOrUpdate(DicomTags.StudyTime, VR.TM, time);
        ds.AddOrUpdate(DicomTags.TimezoneOffsetFromUTC, VR.SH, own);
        ds.AddOrUpdate(DicomTags.PatientBirthDate, VR.DA, "19700101");
        ds.AddOrUpdate(DicomTags.PatientBirthTime, VR.TM, "2330");
        Assert.That(TimezoneAdjustment.MoveTo(ds, TimezoneAdjustment.ParseOffset(target)!.Value), Is.True);
        Assert.That(ds.GetString(DicomTags.StudyDate) ?? "", Is.EqualTo(movedDate));
        Assert.That(ds.GetString(DicomTags.StudyTime), Is.EqualTo(movedTime));
        Assert.That(ds.GetString(DicomTags.TimezoneOffsetFromUTC), Is.EqualTo(target));
        Assert.That(ds.GetString(DicomTags.PatientBirthDate) + ds.GetString(DicomTags.PatientBirthTime), Is.EqualTo("197001012330"), "a birth is not moved");
    }
}
