using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Storage Commitment Push Model with a real requester: Debian's Orthanc, which sends the N-ACTION-RQ through its REST
/// API (<c>POST /modalities/{id}/storage-commitment</c>) and receives our N-EVENT-REPORT-RQ on an association we open to
/// it, then shows the report (<c>GET /storage-commitment/{transaction}</c>). The instances are stored first by dcmtk's
/// storescu into the default collection, which de-identifies (and quarantines what its PHI scan flags): the commitment
/// is asked for the UIDs the site sent.
/// </summary>
[TestFixture]
public sealed class StorageCommitmentTests
{
    private const string Mr = "modality/MR/emri_small.dcm", Knee = "large/MOVEKNEE.dcm";
    private const string SecondaryCapture = "charset/chrFren.dcm"; // a secondary capture: the PHI scan quarantines it

    [Test]
    public async Task Orthanc_asks_for_commitment_and_gets_each_instance_s_answer()
    {
        var orthancDicomPort = ServerProcess.FreePort();
        // The default collection de-identifies, as the server's defaults have it.
        using var server = new ServerProcess("""{ "Deidentification": {} }""", "--peer", $"ORTHANC@127.0.0.1:{orthancDicomPort}");
        using var orthanc = Orthanc(server, orthancDicomPort, out var http);
        foreach (var file in new[] { Mr, Knee, SecondaryCapture })
            Assert.That(Tciapacs.Dcmtk("storescu", "-aec", server.Ae, "127.0.0.1", server.PortText, Corpus.PathOf(file)).ExitCode, Is.Zero);
        var (mrClass, mrUid) = Identity(Mr);
        var (kneeClass, kneeUid) = Identity(Knee);
        var (scClass, scUid) = Identity(SecondaryCapture);
        Assert.That(Directory.GetFiles(Path.Combine(server.Data, "quarantine"), "*.dcm"), Is.Not.Empty, "the secondary capture is held in quarantine");
        Assert.That(Directory.EnumerateFiles(Path.Combine(server.Data, "files"), "*.dcm", SearchOption.AllDirectories).Select(f => DicomFile.Open(f).Dataset.GetString(DicomTags.SOPInstanceUID)),
            Does.Not.Contain(mrUid), "stored under a pseudonym: the commitment must find it through the pseudonym map");

        var report = await CommitAsync(http, [(mrClass, mrUid), (kneeClass, kneeUid), (scClass, scUid), ("1.2.840.10008.5.1.4.1.1.2", mrUid), (mrClass, "1.2.826.0.1.3680043.10.548.999.1")]);
        Assert.That(report["Status"]!.GetValue<string>(), Is.EqualTo("Failure"), "event type 2: some instances are not committed");
        Assert.That(report["Success"]!.AsArray().Select(s => s!["SOPInstanceUID"]!.GetValue<string>()), Is.EquivalentTo(new[] { mrUid, kneeUid, scUid }), "held in quarantine counts: the archive has it");
        var failures = report["Failures"]!.AsArray().Select(f => (f!["SOPInstanceUID"]!.GetValue<string>(), f["FailureReason"]!.GetValue<int>())).ToList();
        Assert.That(failures, Is.EquivalentTo(new[] { (mrUid, 0x0119), ("1.2.826.0.1.3680043.10.548.999.1", 0x0112) }), "class/instance conflict; no such object instance");

        report = await CommitAsync(http, [(mrClass, mrUid), (kneeClass, kneeUid)]);
        Assert.That(report["Status"]!.GetValue<string>(), Is.EqualTo("Success"), "event type 1: all committed");
        Assert.That(server.WaitForLog("reported to ORTHANC: 2 committed, 0 failed (event type 1)"), Is.True, server.Log);
    }

    [Test]
    public async Task A_requester_we_cannot_call_back_is_refused_with_the_reason()
    {
        var orthancDicomPort = ServerProcess.FreePort();
        using var server = new ServerProcess(); // Orthanc is not among the known peers
        using var orthanc = Orthanc(server, orthancDicomPort, out var http);
        var (mrClass, mrUid) = Identity(Mr);
        using var response = await http.PostAsJsonAsync("/modalities/tcia/storage-commitment", Request([(mrClass, mrUid)]));
        Assert.That(response.IsSuccessStatusCode, Is.False, "Orthanc reports the failed N-ACTION");
        Assert.That(server.WaitForLog("storage commitment refused (0110)"), Is.True, server.Log);
        Assert.That(server.Log, Does.Contain("ORTHANC is not a known peer"));
    }

    [Test]
    public void The_commit_verb_asks_our_server_and_waits_for_its_report()
    {
        var listen = ServerProcess.FreePort();
        using var server = new ServerProcess(null, "--peer", $"COMMITSCU@127.0.0.1:{listen}");
        foreach (var file in new[] { Mr, Knee })
            Assert.That(Tciapacs.Dcmtk("storescu", "-aec", server.Ae, "127.0.0.1", server.PortText, Corpus.PathOf(file)).ExitCode, Is.Zero);
        string[] verb = ["commit", "127.0.0.1", server.PortText, "--aet", "COMMITSCU", "--aec", server.Ae, "--listen", listen.ToString(CultureInfo.InvariantCulture), "--wait", "30"];
        var all = Tciapacs.Run([.. verb, Corpus.PathOf(Mr), Corpus.PathOf(Knee)]);
        Assert.That(all.ExitCode, Is.Zero, all.StdErr + all.StdOut);
        Assert.That(all.StdOut, Does.Contain("2 committed, 0 failed (event type 1)"));
        // A file the server was never sent: its instance is reported failed, and the exit status says so.
        var (_, missing) = Identity(SecondaryCapture);
        var some = Tciapacs.Run([.. verb, Corpus.PathOf(Mr), Corpus.PathOf(SecondaryCapture)]);
        Assert.That(some.ExitCode, Is.EqualTo(1), some.StdErr + some.StdOut);
        Assert.That(some.StdOut, Does.Contain($"failed    {missing} (reason 0x0112: no such object instance)").And.Contain("1 committed, 1 failed (event type 2)"));
    }

    /// <summary>
    /// A requester that cannot be called back (its configured port answers nothing, as behind a firewall) keeps the
    /// association open: the report comes on it. Orthanc, which releases at once, is still called back (above).
    /// </summary>
    [Test]
    public void A_requester_that_keeps_its_association_gets_the_report_on_it()
    {
        var unreachable = ServerProcess.FreePort(); // nothing listens there
        using var server = new ServerProcess(null, "--peer", $"COMMITSCU@127.0.0.1:{unreachable}");
        foreach (var file in new[] { Mr, Knee })
            Assert.That(Tciapacs.Dcmtk("storescu", "-aec", server.Ae, "127.0.0.1", server.PortText, Corpus.PathOf(file)).ExitCode, Is.Zero);
        var (_, missing) = Identity(SecondaryCapture);
        var r = Tciapacs.Run("commit", "127.0.0.1", server.PortText, "--aet", "COMMITSCU", "--aec", server.Ae, "--same-association", "--wait", "30",
            Corpus.PathOf(Mr), Corpus.PathOf(Knee), Corpus.PathOf(SecondaryCapture));
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdErr + r.StdOut);
        Assert.That(r.StdOut, Does.Contain("2 committed, 1 failed (event type 2)").And.Contain($"failed    {missing} (reason 0x0112"));
        Assert.That(server.Log, Does.Contain("reported on the requesting association"));
        Assert.That(server.Log, Does.Not.Contain("calling back"));
    }

    [Test]
    public async Task The_commit_verb_asks_Orthanc_and_waits_for_its_report()
    {
        var listen = ServerProcess.FreePort();
        var orthancDicomPort = ServerProcess.FreePort();
        using var server = new ServerProcess(); // only for its folder and port numbers in Orthanc's configuration
        using var orthanc = Orthanc(server, orthancDicomPort, out var http, commitScuPort: listen);
        var port = orthancDicomPort.ToString(CultureInfo.InvariantCulture);
        foreach (var file in new[] { Mr, Knee })
            Assert.That(Tciapacs.Dcmtk("storescu", "-aec", "ORTHANC", "127.0.0.1", port, Corpus.PathOf(file)).ExitCode, Is.Zero);
        Assert.That((await http.GetFromJsonAsync<JsonArray>("/instances"))!, Has.Count.EqualTo(2));
        var r = Tciapacs.Run("commit", "127.0.0.1", port, Corpus.PathOf(Mr), Corpus.PathOf(Knee), "--aet", "COMMITSCU", "--aec", "ORTHANC",
            "--listen", listen.ToString(CultureInfo.InvariantCulture), "--wait", "30");
        Assert.That(r.ExitCode, Is.Zero, r.StdErr + r.StdOut);
        Assert.That(r.StdOut, Does.Contain("2 committed, 0 failed (event type 1)"));
    }

    /// <summary>Requests the standard refuses get its statuses, each with a comment, and no report is attempted.</summary>
    [TestCase("class", 0x0118)]
    [TestCase("instance", 0x0112)]
    [TestCase("action", 0x0123)]
    [TestCase("no-transaction", 0x0120)]
    [TestCase("no-references", 0x0120)]
    [TestCase("item-without-uid", 0x0120)]
    public async Task Malformed_requests_get_the_status_PS3_7_names(string fault, int expected)
    {
        using var server = new ServerProcess(null, "--peer", $"REQUESTER@127.0.0.1:{ServerProcess.FreePort()}");
        var contexts = DicomClient.Propose([(SopClasses.StorageCommitmentPushModel, [TransferSyntax.ExplicitVRLittleEndian.Uid])]);
        await using var client = await DicomClient.ConnectAsync("127.0.0.1", server.Port, new AssociateRequest { CalledAe = server.Ae, CallingAe = "REQUESTER", PresentationContexts = contexts });
        var association = client.Association;
        var context = association.AcceptedContexts(SopClasses.StorageCommitmentPushModel).Single();
        var data = new DicomDataset();
        if (fault != "no-transaction") data.AddOrUpdate(DicomTags.TransactionUID, VR.UI, "1.2.826.0.1.3680043.10.548.7.1");
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.ReferencedSOPClassUID, VR.UI, "1.2.840.10008.5.1.4.1.1.2");
        if (fault != "item-without-uid") item.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, VR.UI, "1.2.826.0.1.3680043.10.548.7.2");
        if (fault != "no-references") data.AddOrUpdate(DicomTags.ReferencedSOPSequence, item);
        var action = new DimseCommand(CommandField.NActionRequest)
        {
            MessageId = association.NextMessageId(), HasDataSet = true,
            RequestedSopClassUid = fault == "class" ? "1.2.840.10008.1.20.2" : SopClasses.StorageCommitmentPushModel,
            RequestedSopInstanceUid = fault == "instance" ? "1.2.840.10008.1.20.1.2" : SopClasses.StorageCommitmentPushModelInstance,
            ActionTypeId = fault == "action" ? (ushort)2 : (ushort)1,
        };
        var bytes = Part10.WriteDataSet(data, context.AcceptedTransferSyntax!);
        DimseCommand? response = null;
        await foreach (var rsp in association.SendRequestAsync(context.Id, action, (st, ct) => st.WriteAsync(bytes, ct).AsTask()))
            using (rsp) response = rsp.Command;
        await client.ReleaseAsync();
        Assert.That(response!.Status, Is.EqualTo((ushort)expected));
        Assert.That(response.Field, Is.EqualTo(CommandField.NActionResponse));
        Assert.That(response.ErrorComment, Is.Not.Empty);
        Assert.That(server.WaitForLog("storage commitment refused"), Is.True, server.Log);
        Assert.That(server.Log, Does.Not.Contain("reporting to REQUESTER"));
    }

    private static (string Class, string Instance) Identity(string path)
    {
        var ds = DicomFile.Open(Corpus.PathOf(path), Dicom.IO.DicomReadOptions.HeaderOnly).Dataset;
        return (ds.GetString(DicomTags.SOPClassUID)!.Trim('\0', ' '), ds.GetString(DicomTags.SOPInstanceUID)!.Trim('\0', ' '));
    }

    private static JsonObject Request(IEnumerable<(string Class, string Instance)> instances) => new()
    {
        ["DicomInstances"] = new JsonArray(instances.Select(i => (JsonNode)new JsonObject { ["SOPClassUID"] = i.Class, ["SOPInstanceUID"] = i.Instance }).ToArray()),
    };

    /// <summary>Asks Orthanc to request commitment from us, then waits for our report to reach it.</summary>
    private static async Task<JsonObject> CommitAsync(HttpClient http, IEnumerable<(string Class, string Instance)> instances)
    {
        using var response = await http.PostAsJsonAsync("/modalities/tcia/storage-commitment", Request(instances));
        Assert.That(response.IsSuccessStatusCode, Is.True, await response.Content.ReadAsStringAsync());
        var path = (await response.Content.ReadFromJsonAsync<JsonObject>())!["Path"]!.GetValue<string>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var report = (await http.GetFromJsonAsync<JsonObject>(path))!;
            if (report["Status"]!.GetValue<string>() != "Pending") return report;
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "no N-EVENT-REPORT reached Orthanc");
            await Task.Delay(200);
        }
    }

    /// <summary>Orthanc with our server as modality "tcia" (and the commit verb's AE as "scu"), on free ports, its storage in the server's test folder.</summary>
    private static OrthancPeer Orthanc(ServerProcess server, int dicomPort, out HttpClient http, int? commitScuPort = null)
    {
        var modalities = new Dictionary<string, (string, int)> { ["tcia"] = ("TCIAPACS", server.Port) };
        if (commitScuPort is { } p) modalities["scu"] = ("COMMITSCU", p);
        var orthanc = new OrthancPeer(Path.Combine(server.Folder, "orthanc"), modalities, dicomPort);
        http = orthanc.Http;
        return orthanc;
    }
}
