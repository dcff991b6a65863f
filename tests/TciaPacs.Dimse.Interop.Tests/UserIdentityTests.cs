using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// DICOM users (Dimse.Users, PS3.7 D.3.3.7 user identity negotiation): dcmtk's storescu with a username and passcode,
/// and our verbs' --user/--password. A wrong passcode, an unknown user or (when required) no identity gets no
/// association; a known user may do only what their entry says, in their collections only.
/// </summary>
[NonParallelizable]
public sealed class UserIdentityTests
{
    private ServerProcess _server = null!;
    private string _files = null!, _trialB = null!;
    private const string TrialBStudy = "1.2.826.0.1.3680043.10.544.90.1";

    [OneTimeSetUp]
    public void Start()
    {
        var config = new JsonObject
        {
            ["Dimse"] = new JsonObject
            {
                ["CalledAeCollections"] = new JsonObject { ["TRIAL_A"] = "trial-a", ["TRIAL_B"] = "trial-b" },
                ["RequireUserIdentity"] = true,
                ["Users"] = new JsonArray(
                    new JsonObject { ["Username"] = "uploader", ["Password"] = Tciapacs.HashPassword("up-secret"), ["Query"] = false, ["Retrieve"] = false },
                    new JsonObject { ["Username"] = "reader", ["Password"] = Tciapacs.HashPassword("read-secret"), ["Store"] = false, ["Collections"] = new JsonArray("trial-a") }),
            },
        };
        _server = new ServerProcess(config.ToJsonString());
        _files = ServerProcess.TempFolder("users");
        GeneratedStudies.Write(_files);
        // One study of its own for trial B (a study belongs to one collection).
        _trialB = ServerProcess.TempFolder("users-b");
        GeneratedStudies.WriteOneInstanceStudies(_trialB, 1, _ => TrialBStudy, "PB", (_, _) => { });
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _server.Dispose();
        Directory.Delete(_files, true);
        Directory.Delete(_trialB, true);
    }

    private ExternalTool.Result Storescu(string calledAe, params string[] identity) =>
        Tciapacs.Dcmtk("storescu", ["-v", "+sd", "-aet", "SITE", "-aec", calledAe, .. identity, "127.0.0.1", _server.PortText, calledAe == "TRIAL_B" ? _trialB : _files]);

    [Test, Order(1)]
    public void Storescu_needs_a_known_user_and_the_right_passcode()
    {
        var none = Storescu("TRIAL_A");
        Assert.That(none.StdOut + none.StdErr, Does.Contain("Association Rejected"), none.StdOut + none.StdErr);
        Assert.That(_server.WaitForLog("no user identity, and this server requires one"), Is.True, _server.Log);

        var wrong = Storescu("TRIAL_A", "-usr", "uploader", "-pwd", "guess");
        Assert.That(wrong.StdOut + wrong.StdErr, Does.Contain("Association Rejected"));
        Assert.That(_server.WaitForLog("wrong passcode for user 'uploader'"), Is.True, _server.Log);
        Assert.That(_server.Log, Does.Not.Contain("guess"), "a passcode is never logged");

        var stranger = Storescu("TRIAL_A", "-usr", "mallory", "-pwd", "x");
        Assert.That(stranger.StdOut + stranger.StdErr, Does.Contain("Association Rejected"));
        Assert.That(_server.WaitForLog("unknown user 'mallory'"), Is.True);

        // The uploader stores into both trials; the reader may not store at all.
        foreach (var trial in new[] { "TRIAL_A", "TRIAL_B" })
        {
            var stored = Storescu(trial, "-usr", "uploader", "-pwd", "up-secret", "-rsp");
            Assert.That(stored.ExitCode, Is.Zero, stored.StdOut + stored.StdErr);
            Assert.That(ServerProcess.Count(stored.StdOut + stored.StdErr, "Received Store Response (Success)"), Is.EqualTo(trial == "TRIAL_A" ? GeneratedStudies.Instances : 1),
                stored.StdOut + stored.StdErr);
        }
        var reader = Storescu("TRIAL_A", "-usr", "reader", "-pwd", "read-secret");
        Assert.That(reader.StdOut + reader.StdErr, Does.Contain("Received Store Response").And.Not.Contain("Received Store Response (Success)"));
        Assert.That(_server.WaitForLog("user reader (SITE) may not store"), Is.True, _server.Log);
    }

    [Test, Order(2)]
    public void A_user_queries_and_retrieves_only_what_their_entry_allows()
    {
        ExternalTool.Result Find(string calledAe, params string[] identity) =>
            Tciapacs.Run(["find", "127.0.0.1", _server.PortText, "--aet", "SITE", "--aec", calledAe, "--level", "STUDY", "StudyInstanceUID", .. identity]);
        // Through our own AE title every collection is in reach, but the reader sees trial A only.
        var reader = Find(_server.Ae, "--user", "reader", "--password", "read-secret");
        Assert.That(reader.ExitCode, Is.Zero, reader.StdOut + reader.StdErr);
        Assert.That(reader.StdOut, Does.Contain($"{GeneratedStudies.Studies} match(es)"), reader.StdOut + reader.StdErr);
        Assert.That(Find("TRIAL_B", "--user", "reader", "--password", "read-secret").StdOut, Does.Contain("0 match(es)"));
        var fromEnvironment = ExternalTool.Run("dotnet", [Tciapacs.Dll, "find", "127.0.0.1", _server.PortText, "--aec", "TRIAL_A", "--level", "STUDY", "StudyInstanceUID", "--user", "reader"],
            TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["TCIAPACS_DICOM_PASSWORD"] = "read-secret" });
        Assert.That(fromEnvironment.StdOut, Does.Contain($"{GeneratedStudies.Studies} match(es)"), fromEnvironment.StdOut + fromEnvironment.StdErr);

        // The uploader may not query; its C-FIND fails with 0124 and the reason.
        var uploader = Find(_server.Ae, "--user", "uploader", "--password", "up-secret");
        Assert.That(uploader.StdOut + uploader.StdErr, Does.Contain("0x0124"), uploader.StdOut + uploader.StdErr);
        var passcodeAlone = Find(_server.Ae, "--password", "read-secret");
        Assert.That(passcodeAlone.ExitCode, Is.Not.Zero);
        Assert.That(passcodeAlone.StdErr, Does.Contain("--password needs --user"));

        // A retrieve by the reader of a trial B study gets nothing; of a trial A study, all of it.
        var folder = Path.Combine(_files, "got");
        var get = Tciapacs.Run("get", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--level", "STUDY", $"StudyInstanceUID={GeneratedStudies.StudyUid(0)}",
            "--out", folder, "--user", "reader", "--password", "read-secret");
        Assert.That(get.ExitCode, Is.Zero, get.StdOut + get.StdErr);
        Assert.That(Directory.GetFiles(folder, "*", SearchOption.AllDirectories), Has.Length.EqualTo(4), get.StdOut + get.StdErr);
        var other = Path.Combine(_files, "got-b");
        var getB = Tciapacs.Run("get", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--level", "STUDY", $"StudyInstanceUID={TrialBStudy}",
            "--out", other, "--user", "reader", "--password", "read-secret");
        Assert.That(Directory.Exists(other) ? Directory.GetFiles(other, "*", SearchOption.AllDirectories) : [], Is.Empty, getB.StdOut + getB.StdErr);
        // The uploader, allowed to everything but queries and retrievals, sees the trial B study through its AE... if it could look.
        Assert.That(Find("TRIAL_B", "--user", "uploader", "--password", "up-secret").StdOut + Find("TRIAL_B", "--user", "uploader", "--password", "up-secret").StdErr, Does.Contain("0x0124"));
    }

    [Test, Order(3)]
    public void Dcmjs_dimse_users_are_checked_and_kept_to_their_collections_in_every_retrieve()
    {
        object Operation(string op, string sopClass, object identifier, string password = "read-secret") => new
        {
            op, host = "127.0.0.1", port = _server.Port, calledAe = _server.Ae, callingAe = "SITE", sopClass, identifier,
            @out = _files, user = new { username = "reader", password },
        };
        var studies = new Dictionary<string, object> { ["QueryRetrieveLevel"] = "STUDY", ["StudyInstanceUID"] = "" };
        var found = DcmjsDimse.Run(Operation("find", "1.2.840.10008.5.1.4.1.2.2.1", studies));
        Assert.That(found["error"], Is.Null, found.ToJsonString());
        Assert.That(found["responses"]!.AsArray().Count(r => (int)r!["status"]! == 0xFF00), Is.EqualTo(GeneratedStudies.Studies), "the reader sees trial A's studies");

        var refused = DcmjsDimse.Run(Operation("find", "1.2.840.10008.5.1.4.1.2.2.1", studies, password: "guess"));
        Assert.That((string?)refused["error"], Does.Contain("association rejected"), refused.ToJsonString());

        // By SOP Instance UID alone (Composite Instance Root), the reader gets a trial A instance and not a trial B one.
        string UidIn(string folder) => TciaPacs.Dicom.DicomFile.Open(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).First(f => !f.Contains("got", StringComparison.Ordinal)))
            .Dataset.GetString(TciaPacs.Dicom.DicomTags.SOPInstanceUID)!.Trim('\0', ' ');
        foreach (var (uid, expected) in new[] { (UidIn(_files), 1), (UidIn(_trialB), 0) })
        {
            var got = DcmjsDimse.Run(Operation("get", "1.2.840.10008.5.1.4.1.2.4.3", new Dictionary<string, object> { ["QueryRetrieveLevel"] = "IMAGE", ["SOPInstanceUID"] = uid }));
            Assert.That(DcmjsDimse.Status(got), Is.Zero, got.ToJsonString());
            Assert.That((int)DcmjsDimse.Final(got)["completed"]!, Is.EqualTo(expected), got.ToJsonString());
        }
    }
}
