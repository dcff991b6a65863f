using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Timezone Offset From UTC in a C-FIND identifier (PS3.4 C.2.2.2): dates and times are matched in the query's
/// timezone, whether findscu (which cannot negotiate it) or our find verb with timezone query adjustment asks; only
/// the latter gets its answers in that timezone. Two studies are the same moment on different clocks, a third has
/// no timezone.
/// </summary>
[NonParallelizable]
public sealed class TimezoneFindTests
{
    private static readonly (string Date, string Time, string? Zone)[] Studies =
        [("20240101", "233000", "+0000"), ("20240102", "003000", "+0100"), ("20240101", "120000", null)];

    private ServerProcess _server = null!;
    private string _files = null!;

    private static string StudyUid(int i) => $"1.2.826.0.1.3680043.10.544.89.{i + 1}";

    [OneTimeSetUp]
    public void Start()
    {
        _server = new ServerProcess();
        _files = ServerProcess.TempFolder("tz");
        GeneratedStudies.StoreOneInstanceStudies(_server, _files, Studies.Length, StudyUid, "TZ1", (i, ds) =>
        {
            ds.AddOrUpdate(DicomTags.StudyDate, VR.DA, Studies[i].Date);
            ds.AddOrUpdate(DicomTags.StudyTime, VR.TM, Studies[i].Time);
            if (Studies[i].Zone is { } zone) ds.AddOrUpdate(DicomTags.TimezoneOffsetFromUTC, VR.SH, zone);
            ds.AddOrUpdate(DicomTags.StudyDescription, VR.LO, "Timezone study");
        });
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _server.Dispose();
        Directory.Delete(_files, true);
    }

    [Test]
    public void Findscu_is_matched_in_its_timezone_and_answered_as_stored()
    {
        string[] args = ["-S", "-v", "-aec", _server.Ae, "127.0.0.1", _server.PortText, "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyDate=20240101",
            "-k", "StudyTime=1800-1900", "-k", "TimezoneOffsetFromUTC=-0500", "-k", "StudyInstanceUID"];
        var r = Tciapacs.Dcmtk("findscu", args);
        var output = r.StdOut + r.StdErr;
        Assert.That(ServerProcess.Count(output, "(Pending)"), Is.EqualTo(2), output);
        Assert.That(output, Does.Contain(StudyUid(0)).And.Contain(StudyUid(1)).And.Not.Contain(StudyUid(2) + "]"));
        // Without the negotiation, the answers carry the values and timezones as stored.
        Assert.That(output, Does.Contain("[233000]").And.Contain("[003000]").And.Contain("[+0100").And.Not.Contain("[183000]"));

        // The timezone alone selects nothing away: a study without one, or with another, is still found.
        var all = Tciapacs.Dcmtk("findscu", "-S", "-v", "-aec", _server.Ae, "127.0.0.1", _server.PortText, "-k", "QueryRetrieveLevel=STUDY",
            "-k", "TimezoneOffsetFromUTC=+0900", "-k", "StudyInstanceUID");
        Assert.That(ServerProcess.Count(all.StdOut + all.StdErr, "(Pending)"), Is.EqualTo(3), all.StdOut + all.StdErr);

        var bad = Tciapacs.Dcmtk("findscu", "-S", "-v", "-aec", _server.Ae, "127.0.0.1", _server.PortText, "-k", "QueryRetrieveLevel=STUDY",
            "-k", "TimezoneOffsetFromUTC=+25", "-k", "StudyInstanceUID");
        Assert.That(bad.StdOut + bad.StdErr, Does.Contain("a900").IgnoreCase.Or.Contain("DataSetDoesNotMatchSOPClass"), "an offset that is not one is refused");
    }

    [Test]
    public void The_query_index_pre_filters_on_widened_dates_too()
    {
        // A key only the query index can pre-filter (the description) sends the query there: the date key it gets must
        // be widened as the catalog's is, or the study stored on 2 January by its own clock is lost.
        ExternalTool.Result Find() => Tciapacs.Dcmtk("findscu", "-S", "-v", "-aec", _server.Ae, "127.0.0.1", _server.PortText, "-k", "QueryRetrieveLevel=STUDY",
            "-k", "StudyDate=20240101", "-k", "StudyDescription=Timezone*", "-k", "TimezoneOffsetFromUTC=-0500", "-k", "StudyInstanceUID");
        // The index is refreshed about every second after a store.
        var r = Find();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (ServerProcess.Count(r.StdOut + r.StdErr, "(Pending)") < 3 && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            Thread.Sleep(200);
            r = Find();
        }
        Assert.That(ServerProcess.Count(r.StdOut + r.StdErr, "(Pending)"), Is.EqualTo(3), r.StdOut + r.StdErr);
        Assert.That(r.StdOut + r.StdErr, Does.Contain(StudyUid(1)));
    }

    [Test]
    public void An_answer_with_dates_carries_its_timezone_and_never_an_empty_one()
    {
        // PS3.4 C.4.1.1.3.2: asked for or not, when the answer's times are in a designated timezone; never zero-length.
        ExternalTool.Result Query(int study, params string[] extra) => Tciapacs.Dcmtk("findscu", ["-S", "-v", "-aec", _server.Ae, "127.0.0.1", _server.PortText,
            "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyDate", "-k", $"StudyInstanceUID={StudyUid(study)}", .. extra]);
        var withZone = Query(1);
        Assert.That(withZone.StdOut + withZone.StdErr, Does.Contain("(0008,0201) SH [+0100"), withZone.StdOut + withZone.StdErr);
        var without = Query(2);
        Assert.That(ServerProcess.Count(without.StdOut + without.StdErr, "(Pending)"), Is.EqualTo(1));
        Assert.That(without.StdOut + without.StdErr, Does.Not.Contain("(0008,0201)"));
        var askedFor = Query(2, "-k", "TimezoneOffsetFromUTC");
        Assert.That(ServerProcess.Count(askedFor.StdOut + askedFor.StdErr, "(0008,0201)"), Is.EqualTo(1), "in the request only: " + askedFor.StdOut + askedFor.StdErr);
    }

    [Test]
    public void With_timezone_query_adjustment_the_answers_are_in_the_querys_timezone()
    {
        var r = Tciapacs.Run("find", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--level", "STUDY", "--timezone-adjustment", "--json",
            "StudyDate=20240101", "StudyTime=1800-1900", "TimezoneOffsetFromUTC=-0500", "StudyInstanceUID");
        Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
        Assert.That(r.StdErr, Does.Not.Contain("declined"));
        Assert.That(r.StdOut, Does.Contain(StudyUid(0)).And.Contain(StudyUid(1)).And.Not.Contain(StudyUid(2) + "\""));
        // Both are 18:30 on 1 January in New York, said so in their answers.
        Assert.That(ServerProcess.Count(r.StdOut, "\"183000\""), Is.EqualTo(2), r.StdOut);
        Assert.That(ServerProcess.Count(r.StdOut, "\"-0500\""), Is.EqualTo(2), r.StdOut);
        Assert.That(r.StdOut, Does.Not.Contain("003000").And.Not.Contain("20240102"));
        // The study without a timezone is read in the query's, and its answer says so.
        var c = Tciapacs.Run("find", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--level", "STUDY", "--timezone-adjustment", "--json",
            "StudyTime", "TimezoneOffsetFromUTC=+0900", $"StudyInstanceUID={StudyUid(2)}");
        Assert.That(c.StdOut, Does.Contain("\"120000\"").And.Contain("\"+0900\""), c.StdOut + c.StdErr);
    }
}
