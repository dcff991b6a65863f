using NUnit.Framework;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>dcmtk findscu at every level of both information models against the archive.</summary>
[NonParallelizable]
public sealed class FindTests
{
    private ServerProcess _server = null!;
    private string _files = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _server = new ServerProcess();
        _files = ServerProcess.TempFolder("gen");
        GeneratedStudies.Write(_files);
        var r = Tciapacs.Dcmtk("storescu", "+sd", "-aec", _server.Ae, "127.0.0.1", _server.PortText, _files);
        Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
        // Keys the catalog cannot pre-filter go through the query index, which is refreshed every second (near real time).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Find("-S", "QueryRetrieveLevel=STUDY", "PatientName=Roe*").Pending < 1 && clock.Elapsed < TimeSpan.FromSeconds(15)) Thread.Sleep(200);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _server.Dispose();
        Directory.Delete(_files, true);
    }

    private (int Pending, string Output) Find(string root, params string[] keys)
    {
        var args = new List<string> { root, "-v", "-aec", _server.Ae, "127.0.0.1", _server.PortText };
        foreach (var k in keys) args.AddRange(["-k", k]);
        var r = Tciapacs.Dcmtk("findscu", [.. args]);
        var output = r.StdOut + r.StdErr;
        return (ServerProcess.Count(output, "(Pending)"), output);
    }

    [TestCase("-P", "PATIENT", GeneratedStudies.Patients)]
    [TestCase("-P", "STUDY", GeneratedStudies.Studies)]
    [TestCase("-P", "SERIES", GeneratedStudies.Series)]
    [TestCase("-P", "IMAGE", GeneratedStudies.Instances)]
    [TestCase("-S", "STUDY", GeneratedStudies.Studies)]
    [TestCase("-S", "SERIES", GeneratedStudies.Series)]
    [TestCase("-S", "IMAGE", GeneratedStudies.Instances)]
    public void Every_level_of_both_roots_returns_every_entity(string root, string level, int expected)
    {
        var (pending, output) = Find(root, $"QueryRetrieveLevel={level}", "PatientID", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID");
        Assert.That(pending, Is.EqualTo(expected), output);
        Assert.That(output, Does.Contain("Received Final Find Response (Success)"));
    }

    [Test]
    public void Matching_keys_narrow_the_results_at_each_level()
    {
        Assert.That(Find("-P", "QueryRetrieveLevel=STUDY", "PatientID=P1", "StudyInstanceUID").Pending, Is.EqualTo(2));
        Assert.That(Find("-S", "QueryRetrieveLevel=STUDY", "PatientName=Doe*", "StudyDate").Pending, Is.EqualTo(2));
        Assert.That(Find("-S", "QueryRetrieveLevel=STUDY", "StudyDate=20200102-", "StudyInstanceUID").Pending, Is.EqualTo(2));
        Assert.That(Find("-S", "QueryRetrieveLevel=SERIES", $"StudyInstanceUID={GeneratedStudies.StudyUid(0)}", "Modality=MR", "SeriesInstanceUID").Pending, Is.EqualTo(1));
        Assert.That(Find("-S", "QueryRetrieveLevel=IMAGE", $"SeriesInstanceUID={GeneratedStudies.SeriesUid(2, 1)}", "SOPInstanceUID").Pending, Is.EqualTo(2));
        var (_, output) = Find("-S", "QueryRetrieveLevel=STUDY", $"StudyInstanceUID={GeneratedStudies.StudyUid(2)}", "PatientName", "NumberOfStudyRelatedInstances", "ModalitiesInStudy");
        Assert.That(output, Does.Contain("Roe^Jane").And.Contain("[4 ]").And.Contain(@"CT\MR"));
        Assert.That(Find("-S", "QueryRetrieveLevel=SERIES", $"StudyInstanceUID={GeneratedStudies.StudyUid(2)}", "InstanceAvailability", "SeriesInstanceUID").Output,
            Does.Contain("(0008,0056) CS [ONLINE]"));
    }

    [Test]
    public void Study_root_has_no_patient_level()
    {
        var (pending, output) = Find("-S", "QueryRetrieveLevel=PATIENT", "PatientID");
        Assert.That(pending, Is.Zero);
        Assert.That(output, Does.Contain("DataSetDoesNotMatchSOPClass").Or.Contain("a900").IgnoreCase);
    }

    [Test]
    public void Our_find_verb_agrees_with_findscu()
    {
        var r = Tciapacs.Run("find", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--level", "SERIES", "SeriesInstanceUID", "Modality=CT");
        Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
        Assert.That(r.StdOut, Does.Contain("3 match(es), status 0x0000"));
        var p = Tciapacs.Run("find", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--root", "patient", "--level", "PATIENT", "PatientID", "PatientName", "--json");
        Assert.That(p.ExitCode, Is.Zero, p.StdOut + p.StdErr);
        Assert.That(p.StdOut, Does.Contain("Doe^John").And.Contain("Roe^Jane"));
    }

    /// <summary>
    /// Extended negotiation (PS3.4 C.3.4) through our find verb: relational queries (a SERIES query by a patient's
    /// name, no study named) and fuzzy person-name matching are accepted, and the matches follow them.
    /// </summary>
    [Test]
    public void Relational_and_fuzzy_queries_are_negotiated_and_applied()
    {
        var fuzzy = Tciapacs.Run("find", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--level", "SERIES", "--relational", "--fuzzy", "PatientName=john", "SeriesInstanceUID");
        Assert.That(fuzzy.ExitCode, Is.Zero, fuzzy.StdOut + fuzzy.StdErr);
        Assert.That(fuzzy.StdErr, Does.Not.Contain("declined"));
        Assert.That(fuzzy.StdOut, Does.Contain("4 match(es), status 0x0000"), "both of John Doe's studies, two series each");
        Assert.That(fuzzy.StdOut, Does.Contain(GeneratedStudies.SeriesUid(0, 0)).And.Contain(GeneratedStudies.SeriesUid(1, 1)).And.Not.Contain(GeneratedStudies.SeriesUid(2, 0)));
        // Without fuzzy matching the same name is a literal one, which "Doe^John" does not match.
        var literal = Tciapacs.Run("find", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--level", "SERIES", "--relational", "PatientName=john", "SeriesInstanceUID");
        Assert.That(literal.StdOut, Does.Contain("0 match(es), status 0x0000"), literal.StdOut + literal.StdErr);
    }
}
