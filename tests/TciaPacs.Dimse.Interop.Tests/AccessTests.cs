using NUnit.Framework;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>Association policy with AcceptAnyCaller off: only listed peers, each with what it may do; called AE titles choose collections.</summary>
public sealed class AccessTests
{
    [Test]
    public void Only_listed_callers_are_accepted_and_each_may_do_only_what_it_is_allowed()
    {
        using var server = new ServerProcess("""
            {
              "Dimse": {
                "AcceptAnyCaller": false,
                "Peers": [
                  { "AeTitle": "ECHOSCU", "Host": "127.0.0.1", "Port": 104 },
                  { "AeTitle": "FINDONLY", "Host": "127.0.0.1", "Port": 104, "Store": false, "Retrieve": false }
                ],
                "CalledAeCollections": { "TRIAL_A": "trial-a", "TRIAL_B": "trial-b" }
              }
            }
            """);
        Assert.That(server.Log, Does.Not.Contain("accepts associations from any calling AE title"));
        var known = Tciapacs.Dcmtk("echoscu", "-aet", "ECHOSCU", "-aec", server.Ae, "127.0.0.1", server.PortText);
        Assert.That(known.ExitCode, Is.Zero, known.StdOut + known.StdErr);
        var stranger = Tciapacs.Dcmtk("echoscu", "-aet", "STRANGER", "-aec", server.Ae, "127.0.0.1", server.PortText);
        Assert.That(stranger.ExitCode, Is.Not.Zero);
        Assert.That(stranger.StdOut + stranger.StdErr, Does.Contain("Calling AE Title Not Recognized"));
        var mapped = Tciapacs.Dcmtk("echoscu", "-aet", "ECHOSCU", "-aec", "TRIAL_A", "127.0.0.1", server.PortText);
        Assert.That(mapped.ExitCode, Is.Zero, "a called AE title mapped to a collection is accepted");

        var files = ServerProcess.TempFolder("acc");
        try
        {
            GeneratedStudies.Write(files);
            var refused = Tciapacs.Dcmtk("storescu", "-v", "+sd", "-aet", "FINDONLY", "-aec", server.Ae, "127.0.0.1", server.PortText, files);
            Assert.That(refused.StdOut + refused.StdErr, Does.Contain("Received Store Response").And.Not.Contain("Received Store Response (Success)"));
            Assert.That(server.WaitForLog("refused (0124): FINDONLY may not store"), Is.True, server.Log);
            Assert.That(Tciapacs.Run("query", "--data", server.Data, "--level", "STUDY", "StudyInstanceUID").StdErr, Does.Contain("0 study result(s)"), "status 0124: not stored");
            var stored = Tciapacs.Dcmtk("storescu", "+sd", "-aet", "ECHOSCU", "-aec", "TRIAL_A", "127.0.0.1", server.PortText, files);
            Assert.That(stored.ExitCode, Is.Zero, stored.StdOut + stored.StdErr);
            var query = Tciapacs.Run("query", "--data", server.Data, "--level", "STUDY", "--collection", "trial-a", "StudyInstanceUID");
            Assert.That(query.StdOut + query.StdErr, Does.Contain($"{GeneratedStudies.Studies} study result(s)"), "stored into the called AE's collection");
            var find = Tciapacs.Dcmtk("findscu", "-S", "-aet", "FINDONLY", "-aec", "TRIAL_A", "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID");
            Assert.That(ServerProcess.Count(find.StdOut + find.StdErr, "(Pending)"), Is.EqualTo(GeneratedStudies.Studies));

            // A retrieve through a called AE sees that AE's collection only: by study UID (answered from the catalog's
            // columns) and by patient (through the query engine). Patient Root names the patient with the study (also
            // answered from the columns): the study must be that patient's.
            int Got(string calledAe, params string[] keys) =>
                GotFrom(keys[0].StartsWith("QueryRetrieveLevel=PATIENT", StringComparison.Ordinal) ? "-P" : "-S", calledAe, keys);
            int GotFrom(string root, string calledAe, params string[] keys)
            {
                var folder = Path.Combine(files, "got-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(folder);
                var get = Tciapacs.Dcmtk("getscu", [root, "-aet", "ECHOSCU",
                    "-aec", calledAe, "-od", folder, "127.0.0.1", server.PortText, .. keys.SelectMany(k => new[] { "-k", k })]);
                Assert.That(get.ExitCode, Is.Zero, get.StdOut + get.StdErr);
                return Directory.GetFiles(folder).Length;
            }
            var study = $"StudyInstanceUID={GeneratedStudies.StudyUid(0)}";
            Assert.That(Got("TRIAL_A", "QueryRetrieveLevel=STUDY", study), Is.EqualTo(4));
            Assert.That(Got("TRIAL_B", "QueryRetrieveLevel=STUDY", study), Is.Zero, "a study of another collection is not retrieved");
            Assert.That(Got("TRIAL_A", "QueryRetrieveLevel=SERIES", study, $"SeriesInstanceUID={GeneratedStudies.SeriesUid(0, 1)}"), Is.EqualTo(2));
            Assert.That(Got("TRIAL_A", "QueryRetrieveLevel=PATIENT", "PatientID=P1"), Is.EqualTo(8));
            Assert.That(Got("TRIAL_B", "QueryRetrieveLevel=PATIENT", "PatientID=P1"), Is.Zero, "a patient's studies of another collection are not retrieved");
            Assert.That(GotFrom("-P", "TRIAL_A", "QueryRetrieveLevel=STUDY", "PatientID=P1", study), Is.EqualTo(4));
            Assert.That(GotFrom("-P", "TRIAL_A", "QueryRetrieveLevel=STUDY", "PatientID=P2", study), Is.Zero, "the study is not P2's");
            Assert.That(GotFrom("-P", "TRIAL_A", "QueryRetrieveLevel=SERIES", "PatientID=P1", study, $"SeriesInstanceUID={GeneratedStudies.SeriesUid(0, 1)}"), Is.EqualTo(2));
            Assert.That(GotFrom("-P", "TRIAL_B", "QueryRetrieveLevel=STUDY", "PatientID=P1", study), Is.Zero, "a study of another collection is not retrieved");
            Assert.That(GotFrom("-S", "TRIAL_A", "QueryRetrieveLevel=STUDY", "PatientID=P1", study), Is.EqualTo(4), "Study Root with a Patient ID, as some requestors send");
        }
        finally
        {
            Directory.Delete(files, true);
        }
    }

    /// <summary>samples/tcia-intake.json as an administrator starts it: sites sending to TCIA_INTAKE are de-identified into its collection.</summary>
    [Test]
    public void The_intake_sample_routes_its_called_AE_into_its_de_identifying_collection()
    {
        var sample = File.ReadAllText(Path.Combine(TciaPacs.Testing.Corpus.RepositoryRoot, "samples", "tcia-intake.json"));
        using var server = new ServerProcess(sample);
        const string mr = "modality/MR/emri_small.dcm", knee = "large/MOVEKNEE.dcm";
        Assert.That(Tciapacs.Dcmtk("storescu", "-aec", "TCIA_INTAKE", "127.0.0.1", server.PortText, TciaPacs.Testing.Corpus.PathOf(mr)).ExitCode, Is.Zero);
        Assert.That(Tciapacs.Dcmtk("storescu", "-aec", server.Ae, "127.0.0.1", server.PortText, TciaPacs.Testing.Corpus.PathOf(knee)).ExitCode, Is.Zero);
        string[] Patients(string calledAe)
        {
            var r = Tciapacs.Run("find", "127.0.0.1", server.PortText, "--aec", calledAe, "--level", "STUDY", "PatientID=", "--json");
            Assert.That(r.ExitCode, Is.Zero, r.StdErr);
            return System.Text.Json.Nodes.JsonNode.Parse(r.StdOut)!.AsArray().Select(a => a!["00100020"]?["Value"]?[0]?.GetValue<string>() ?? "").ToArray();
        }
        // Through its AE, the intake collection alone, under a pseudonym; through ours, both, the knee as sent.
        Assert.That(Patients("TCIA_INTAKE"), Has.Length.EqualTo(1).And.All.StartWith("TCIA-INTAKE-"));
        Assert.That(Patients(server.Ae), Has.Length.EqualTo(2).And.Contains("MF-0000000"));
    }
}
