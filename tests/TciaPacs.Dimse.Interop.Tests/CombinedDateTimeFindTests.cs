using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Combined date and time range matching (PS3.4 C.2.2.2.5), negotiated by our find verb's --combined-datetime, against
/// five studies around a two-day range: the pair matches as one range when negotiated, each key on its own otherwise.
/// </summary>
[NonParallelizable]
public sealed class CombinedDateTimeFindTests
{
    private static readonly (string Date, string Time)[] Studies =
        [("20200101", "0900"), ("20200101", "2300"), ("20200102", "0900"), ("20200102", "1400"), ("20200101", "1230")];

    private ServerProcess _server = null!;
    private string _files = null!;

    private static string StudyUid(int i) => $"1.2.826.0.1.3680043.10.544.88.{i + 1}";

    [OneTimeSetUp]
    public void Start()
    {
        _server = new ServerProcess();
        _files = ServerProcess.TempFolder("dt");
        GeneratedStudies.StoreOneInstanceStudies(_server, _files, Studies.Length, StudyUid, "DT1", (i, ds) =>
        {
            ds.AddOrUpdate(DicomTags.StudyDate, VR.DA, Studies[i].Date);
            ds.AddOrUpdate(DicomTags.StudyTime, VR.TM, Studies[i].Time);
            ds.AddOrUpdate(DicomTags.PatientName, VR.PN, "Time^Test");
        });
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _server.Dispose();
        Directory.Delete(_files, true);
    }

    private ExternalTool.Result Find(params string[] extra) =>
        Tciapacs.Run(["find", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--level", "STUDY", "StudyDate=20200101-20200102", "StudyTime=1200-1300", "StudyInstanceUID", .. extra]);

    [Test]
    public void The_date_and_time_keys_match_as_one_range_when_negotiated()
    {
        var combined = Find("--combined-datetime");
        Assert.That(combined.ExitCode, Is.Zero, combined.StdOut + combined.StdErr);
        Assert.That(combined.StdErr, Does.Not.Contain("declined"));
        Assert.That(combined.StdOut, Does.Contain("3 match(es), status 0x0000"), combined.StdOut);
        Assert.That(combined.StdOut, Does.Contain(StudyUid(1)).And.Contain(StudyUid(2)).And.Contain(StudyUid(4)).And.Not.Contain(StudyUid(0) + "]").And.Not.Contain(StudyUid(3) + "]"));

        // Each on its own: only 12:30 on the first day is within 12:00-13:00. The time key goes through the query
        // index, refreshed about every second after a store.
        ExternalTool.Result separate;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do separate = Find();
        while (!separate.StdOut.Contains("1 match(es)", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(15) && Sleep());
        Assert.That(separate.StdOut, Does.Contain("1 match(es), status 0x0000").And.Contain(StudyUid(4)), separate.StdOut);
    }

    private static bool Sleep()
    {
        Thread.Sleep(200);
        return true;
    }
}
