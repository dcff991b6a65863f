using System.Globalization;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;
using static TciaPacs.Dimse.Interop.Tests.PeerFiles;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Debian's Orthanc (1.10) as the peer, both ways: Orthanc as a sending site and a workstation (C-ECHO, C-STORE of the
/// corpus, C-FIND at every level, C-MOVE to itself, all driven through its REST API), and Orthanc as the PACS our
/// verbs talk to (echo, store, find, get, move). Orthanc uses dcmtk's network code under its own proposals,
/// identifiers and retrieve logic: a second opinion on everything dcmtk's tools check elsewhere.
/// </summary>
[TestFixture]
public sealed class OrthancInteropTests
{
    private static readonly HashSet<string> NotSentByDcmtk = ["1.2.840.10008.1.2.8.1", "1.2.840.10008.1.2.4.110", "1.2.840.10008.1.2.4.111", "1.2.840.10008.1.2.4.112"];

    [Test]
    public async Task Orthanc_sends_the_corpus_by_C_STORE_and_each_instance_is_kept_as_sent()
    {
        using var server = new ServerProcess();
        using var orthanc = OrthancPeer.For(server);
        Assert.That((await orthanc.PostAsync("/modalities/tcia/echo", new JsonObject())).ToJsonString(), Is.EqualTo("{}"));

        var ids = new List<string>();
        var (refused, misread) = (0, new List<string>());
        foreach (var entry in Corpus.Entries.Where(e => e.DcmtkParses))
        {
            if (await orthanc.UploadAsync(entry.FullPath) is not { } id) { refused++; continue; }
            // Left out, since Orthanc's job stops at the first instance that fails:
            // - a SOP Instance UID of another VR than UI: Orthanc's C-STORE SCU reads it as hex ("31\2e\32...") and sends
            //   the instance under the first value ('31'), which we refuse with A900 as storescp does;
            // - a syntax dcmtk 3.6.7 cannot send (Deflated Image Frame Compression, JPEG XL);
            // - a UID our intake refuses (PS3.5 9.1; tested with storescu elsewhere).
            var ds = DicomFile.Open(entry.FullPath, DicomReadOptions.HeaderOnly).Dataset;
            if (ds.Get(DicomTags.SOPInstanceUID)?.VR != VR.UI || NotSentByDcmtk.Contains(entry.TransferSyntax.Split(' ')[0])
                || new[] { DicomTags.SOPClassUID, DicomTags.SOPInstanceUID, DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID }.Any(t => !DicomUids.IsValid(ds.GetString(t) ?? "")))
            {
                misread.Add(entry.Path);
                continue;
            }
            ids.Add(id);
        }
        ids = ids.Distinct().ToList(); // a few corpus files share their SOP Instance UID
        TestContext.Out.WriteLine($"{ids.Count} instances in Orthanc, {refused} files it refused; not sent: {string.Join(", ", misread)}");
        Assert.That(ids, Has.Count.GreaterThan(150));
        Assert.That(misread, Has.Count.LessThan(15), "only the few files above are left out");

        var job = await orthanc.PostAsync("/modalities/tcia/store", new JsonObject { ["Resources"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()), ["Synchronous"] = true });
        Assert.That(job["FailedInstancesCount"]!.GetValue<int>(), Is.Zero, job.ToJsonString());
        Assert.That(job["InstancesCount"]!.GetValue<int>(), Is.EqualTo(ids.Count));

        // Each stored file holds the data set Orthanc sent, in its transfer syntax.
        var stored = server.StoredFiles();
        var work = ServerProcess.TempFolder("orthanc-sent");
        try
        {
            var differences = new List<string>();
            // By Orthanc's IDs: two corpus files may share a SOP Instance UID in different studies.
            var uidOf = (await orthanc.GetAsync("/instances?expand")).AsArray().ToDictionary(i => i!["ID"]!.GetValue<string>(), i => i!["MainDicomTags"]!["SOPInstanceUID"]!.GetValue<string>());
            foreach (var id in ids)
            {
                var uid = uidOf[id];
                var original = Path.Combine(work, id + ".dcm");
                await orthanc.DownloadAsync(id, original);
                if (!stored.TryGetValue(uid, out var ours)) { differences.Add($"{uid}: not stored"); continue; }
                var (sent, kept) = (DicomFile.Open(original), DicomFile.Open(ours));
                if (sent.TransferSyntax.Uid != kept.TransferSyntax.Uid) differences.Add($"{uid}: sent in {sent.TransferSyntax.Name}, stored in {kept.TransferSyntax.Name}");
                var implicitVr = sent.TransferSyntax.Uid == TransferSyntax.ImplicitVRLittleEndian.Uid;
                // dcmtk under Orthanc pads a value of odd length as it sends it.
                var (expected, actual) = (Canonical(sent, implicitVr, padOdd: true), Canonical(kept, implicitVr, padOdd: true));
                if (!JsonNode.DeepEquals(actual, expected)) differences.Add($"{uid}: {CorpusRoundTripTests.FirstDifference(actual, expected)}");
            }
            Assert.That(differences, Is.Empty);
            Assert.That(stored.Keys, Is.EquivalentTo(ids.Select(i => uidOf[i]).Distinct()), "every instance Orthanc sent is stored, and only those");
        }
        finally
        {
            Directory.Delete(work, true);
        }
        Assert.That(server.Log, Does.Not.Contain("protocol error").And.Not.Contain("[ERR]"));
    }

    [Test]
    public async Task Orthanc_finds_at_every_level_what_the_archive_holds()
    {
        using var server = new ServerProcess();
        using var orthanc = OrthancPeer.For(server);
        var files = new[] { Knee, Mr, French, Ct }.Select(f => DicomFile.Open(Corpus.PathOf(f), DicomReadOptions.HeaderOnly).Dataset).ToList();
        foreach (var f in new[] { Knee, Mr, French, Ct })
            Assert.That(Tciapacs.Dcmtk("storescu", "-aec", server.Ae, "127.0.0.1", server.PortText, Corpus.PathOf(f)).ExitCode, Is.Zero);
        string Of(DicomDataset ds, DicomTag tag) => ds.GetString(tag)?.Trim('\0', ' ') ?? "";

        // PATIENT level (Orthanc uses Patient Root for it): every patient, by ID.
        var (_, patients) = await orthanc.FindAsync("Patient", new JsonObject { ["PatientID"] = "*" });
        Assert.That(patients.Select(p => Value(p, "PatientID")), Is.EquivalentTo(files.Select(f => Of(f, DicomTags.PatientID)).Distinct()));

        // STUDY level: a wildcard on a Latin-1 name comes back decoded; Orthanc asks in ISO_IR 100 and reads our answer in it.
        var (_, french) = await orthanc.FindAsync("Study", new JsonObject { ["PatientName"] = "Buc^J*", ["StudyDescription"] = "" });
        Assert.That(french.Select(a => Value(a, "PatientName")), Is.EqualTo(new[] { "Buc^Jérôme" }));
        var (_, byDate) = await orthanc.FindAsync("Study", new JsonObject { ["StudyDate"] = "20061201-20061231" });
        Assert.That(byDate.Select(a => Value(a, "StudyInstanceUID")),
            Is.EquivalentTo(files.Where(f => Of(f, DicomTags.StudyDate).StartsWith("200612", StringComparison.Ordinal)).Select(f => Of(f, DicomTags.StudyInstanceUID)).Distinct()));
        Assert.That(byDate, Is.Not.Empty);
        var (_, mr) = await orthanc.FindAsync("Study", new JsonObject { ["ModalitiesInStudy"] = "MR", ["NumberOfStudyRelatedInstances"] = "" });
        Assert.That(mr.Select(a => Value(a, "StudyInstanceUID")),
            Is.EquivalentTo(files.Where(f => Of(f, DicomTags.Modality) == "MR").Select(f => Of(f, DicomTags.StudyInstanceUID)).Distinct()));
        Assert.That(mr.Select(a => Value(a, "NumberOfStudyRelatedInstances")), Has.All.EqualTo("1"));

        // SERIES and IMAGE levels, under the knee study.
        var knee = files[0];
        var (_, series) = await orthanc.FindAsync("Series", new JsonObject { ["StudyInstanceUID"] = Of(knee, DicomTags.StudyInstanceUID), ["Modality"] = "", ["SeriesNumber"] = "" });
        Assert.That(series.Select(s => (Value(s, "SeriesInstanceUID"), Value(s, "Modality"))), Is.EqualTo(new[] { (Of(knee, DicomTags.SeriesInstanceUID), Of(knee, DicomTags.Modality)) }));
        var (_, images) = await orthanc.FindAsync("Instance", new JsonObject
        {
            ["StudyInstanceUID"] = Of(knee, DicomTags.StudyInstanceUID), ["SeriesInstanceUID"] = Of(knee, DicomTags.SeriesInstanceUID), ["SOPClassUID"] = "", ["InstanceNumber"] = "",
        });
        Assert.That(images.Select(i => (Value(i, "SOPInstanceUID"), Value(i, "SOPClassUID"))), Is.EqualTo(new[] { (Of(knee, DicomTags.SOPInstanceUID), Of(knee, DicomTags.SOPClassUID)) }));
        // Nothing matches: an empty answer, not an error.
        var (_, none) = await orthanc.FindAsync("Study", new JsonObject { ["PatientName"] = "Nobody^Here" });
        Assert.That(none, Is.Empty);
        Assert.That(ServerProcess.Count(server.Log, "C-FIND"), Is.GreaterThanOrEqualTo(7));
    }

    [Test]
    public async Task Orthanc_retrieves_by_C_MOVE_to_itself_at_study_series_and_image_level()
    {
        var orthancPort = ServerProcess.FreePort();
        using var server = new ServerProcess(null, "--peer", $"{OrthancPeer.AeTitle}@127.0.0.1:{orthancPort}");
        using var orthanc = new OrthancPeer(Path.Combine(server.Folder, "orthanc"), new Dictionary<string, (string, int)> { ["tcia"] = (server.Ae, server.Port) }, orthancPort);
        var sent = new[] { Knee, Mr, Ct, OddLength };
        foreach (var f in sent)
            Assert.That(Tciapacs.Run("store", "127.0.0.1", server.PortText, Corpus.PathOf(f), "--aec", server.Ae).ExitCode, Is.Zero);
        var stored = server.StoredFiles();
        Assert.That(stored, Has.Count.EqualTo(sent.Length));

        // Every study, by the query's retrieve.
        var (studies, studyAnswers) = await orthanc.FindAsync("Study", new JsonObject { ["PatientID"] = "" });
        Assert.That(studyAnswers, Has.Count.EqualTo(sent.Length));
        await orthanc.PostAsync($"/queries/{studies}/retrieve", new JsonObject { ["TargetAet"] = OrthancPeer.AeTitle, ["Synchronous"] = true });
        await AssertOrthancHoldsAsIsAsync(orthanc, stored, stored.Keys);
        Assert.That(ServerProcess.Count(server.Log, $"C-MOVE to {OrthancPeer.AeTitle}: 1 completed, 0 failed"), Is.EqualTo(sent.Length), server.Log);

        // One series, then one instance, each by its answer's retrieve.
        var ct = DicomFile.Open(Corpus.PathOf(Ct), DicomReadOptions.HeaderOnly).Dataset;
        var (ctStudy, ctSeries, ctImage) = (ct.GetString(DicomTags.StudyInstanceUID)!.Trim('\0', ' '), ct.GetString(DicomTags.SeriesInstanceUID)!.Trim('\0', ' '), ct.GetString(DicomTags.SOPInstanceUID)!.Trim('\0', ' '));
        await orthanc.ClearAsync();
        var (series, _) = await orthanc.FindAsync("Series", new JsonObject { ["StudyInstanceUID"] = ctStudy, ["SeriesInstanceUID"] = ctSeries });
        await orthanc.PostAsync($"/queries/{series}/answers/0/retrieve", new JsonObject { ["TargetAet"] = OrthancPeer.AeTitle, ["Synchronous"] = true });
        await AssertOrthancHoldsAsIsAsync(orthanc, stored, [ctImage]);
        await orthanc.ClearAsync();
        var (image, _) = await orthanc.FindAsync("Instance", new JsonObject { ["StudyInstanceUID"] = ctStudy, ["SeriesInstanceUID"] = ctSeries, ["SOPInstanceUID"] = ctImage });
        await orthanc.PostAsync($"/queries/{image}/answers/0/retrieve", new JsonObject { ["TargetAet"] = OrthancPeer.AeTitle, ["Synchronous"] = true });
        await AssertOrthancHoldsAsIsAsync(orthanc, stored, [ctImage]);

        // A patient: Orthanc finds it on Patient Root but retrieves it on Study Root at PATIENT level.
        var knee = DicomFile.Open(Corpus.PathOf(Knee), DicomReadOptions.HeaderOnly).Dataset;
        await orthanc.ClearAsync();
        var (patient, _) = await orthanc.FindAsync("Patient", new JsonObject { ["PatientID"] = knee.GetString(DicomTags.PatientID)!.Trim() });
        await orthanc.PostAsync($"/queries/{patient}/answers/0/retrieve", new JsonObject { ["TargetAet"] = OrthancPeer.AeTitle, ["Synchronous"] = true });
        await AssertOrthancHoldsAsIsAsync(orthanc, stored, [knee.GetString(DicomTags.SOPInstanceUID)!.Trim('\0', ' ')]);
    }

    [Test]
    public async Task Our_verbs_echo_store_find_get_and_move_with_Orthanc_as_the_PACS()
    {
        using var server = new ServerProcess();
        using var orthanc = OrthancPeer.For(server);
        string[] peer = ["127.0.0.1", orthanc.PortText, "--aec", OrthancPeer.AeTitle];
        Assert.That(Tciapacs.Run(["echo", .. peer]).ExitCode, Is.Zero);

        // A value of odd length and a deflated data set of odd length: each goes padded to even, or dcmtk under
        // Orthanc would abort the association ("Odd Fragment Length").
        string[] files = [Knee, Mr, French, Ct, OddLength, DeflatedOdd, "transfer-syntax/jpeg-ls-near-lossless/CT1_JLSN.dcm", "transfer-syntax/explicit-vr-be/MR_small_bigendian.dcm"];
        var store = Tciapacs.Run(["store", .. peer, .. files.Select(Corpus.PathOf)]);
        Assert.That(store.ExitCode, Is.Zero, store.StdErr);
        Assert.That(store.StdOut + store.StdErr, Does.Contain($"{files.Length} sent, 0 failed"));
        var held = await orthanc.InstancesAsync();
        Assert.That(held, Has.Count.EqualTo(files.Length));

        var find = Tciapacs.Run(["find", .. peer, "--level", "STUDY", "StudyInstanceUID=", "PatientName=", "--json"]);
        Assert.That(find.ExitCode, Is.Zero, find.StdErr);
        var studies = JsonNode.Parse(find.StdOut)!.AsArray().Select(a => a!["0020000D"]!["Value"]![0]!.GetValue<string>()).ToList();
        Assert.That(studies, Is.EquivalentTo(files.Select(f => DicomFile.Open(Corpus.PathOf(f), DicomReadOptions.HeaderOnly).Dataset.GetString(DicomTags.StudyInstanceUID)!.Trim('\0', ' ')).Distinct()));

        // C-GET of every study back, each file equal to what Orthanc holds.
        var got = Path.Combine(server.Folder, "got");
        foreach (var study in studies)
        {
            var get = Tciapacs.Run(["get", .. peer, "--level", "STUDY", $"StudyInstanceUID={study}", "--out", got]);
            Assert.That(get.ExitCode, Is.Zero, get.StdErr + get.StdOut);
        }
        var gotFiles = Directory.GetFiles(got).ToDictionary(f => DicomFile.Open(f, DicomReadOptions.HeaderOnly).Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0', ' '));
        await AssertOrthancHoldsAsIsAsync(orthanc, gotFiles, held.Keys);

        // C-MOVE of every study to our server, which Orthanc knows as "tcia".
        foreach (var study in studies)
        {
            var move = Tciapacs.Run(["move", .. peer, "--dest", server.Ae, "--level", "STUDY", $"StudyInstanceUID={study}"]);
            Assert.That(move.ExitCode, Is.Zero, move.StdErr + move.StdOut);
        }
        await AssertOrthancHoldsAsIsAsync(orthanc, server.StoredFiles(), held.Keys);
    }

    /// <summary>Orthanc holds exactly <paramref name="uids"/>, each file's data set equal to <paramref name="reference"/>'s file for it (odd values padded).</summary>
    private static async Task AssertOrthancHoldsAsIsAsync(OrthancPeer orthanc, IReadOnlyDictionary<string, string> reference, IEnumerable<string> uids)
    {
        var held = await orthanc.InstancesAsync();
        Assert.That(held.Keys, Is.EquivalentTo(uids));
        var folder = ServerProcess.TempFolder("orthanc-held");
        try
        {
            foreach (var (uid, id) in held)
            {
                var path = Path.Combine(folder, id + ".dcm");
                await orthanc.DownloadAsync(id, path);
                var (theirs, ours) = (DicomFile.Open(path), DicomFile.Open(reference[uid]));
                var implicitVr = theirs.TransferSyntax.Uid == TransferSyntax.ImplicitVRLittleEndian.Uid || ours.TransferSyntax.Uid == TransferSyntax.ImplicitVRLittleEndian.Uid;
                var (a, e) = (Canonical(theirs, implicitVr, padOdd: true), Canonical(ours, implicitVr, padOdd: true));
                Assert.That(JsonNode.DeepEquals(a, e), Is.True, $"{uid}: {CorpusRoundTripTests.FirstDifference(a, e)}");
            }
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    private static JsonArray Canonical(DicomFile file, bool implicitVr, bool padOdd = false) =>
        CorpusRoundTripTests.Normalize(CanonicalTree.FromDataset(file.Dataset, padOdd), implicitVr);

    private static string Value(JsonObject answer, string keyword) => answer[keyword]?.GetValue<string>() ?? "";
}
