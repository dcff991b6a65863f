using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// The curator's workflow through the real doors: a site sends by storescu to an intake AE title; what waits in the
/// intake collection is seen by no one but curators (dcmtk's findscu and getscu, DICOMweb without signing in or as a
/// reader, NBIA); a curator sees it (DICOMweb, /api/curation/intake, our find with a DIMSE user who curates), publishes
/// a study with one request, and then everyone finds and retrieves it; the curation log says who did it.
/// </summary>
[NonParallelizable]
public sealed class CurationTests
{
    private ServerProcess _server = null!;
    private string _files = null!;
    private HttpClient _http = null!;
    private const string AdminToken = "admin-token-0123456789abcdef";

    [OneTimeSetUp]
    public void Start()
    {
        var curator = Tciapacs.HashPassword("cur-secret");
        var reader = Tciapacs.HashPassword("read-secret");
        var config = new JsonObject
        {
            ["Dimse"] = new JsonObject
            {
                ["CalledAeCollections"] = new JsonObject { ["LUNG_INTAKE"] = "lung-intake" },
                ["Users"] = new JsonArray(new JsonObject { ["Username"] = "curator", ["Password"] = curator, ["Curate"] = true }),
            },
            ["Http"] = new JsonObject
            {
                ["Host"] = "127.0.0.1",
                ["AdminToken"] = AdminToken,
                ["Users"] = new JsonArray(
                    new JsonObject { ["Username"] = "curator", ["Password"] = curator, ["Curate"] = true },
                    new JsonObject { ["Username"] = "reader", ["Password"] = reader, ["Store"] = false }),
            },
            ["Curation"] = new JsonObject { ["IntakeCollections"] = new JsonObject { ["lung-intake"] = "lung-trial" } },
        };
        _server = new ServerProcess(config.ToJsonString());
        _files = ServerProcess.TempFolder("curation");
        GeneratedStudies.Write(_files);
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_server.HttpPort}") };
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _http.Dispose();
        _server.Dispose();
        Directory.Delete(_files, true);
    }

    private async Task<(HttpStatusCode Status, string Body)> Http(HttpMethod method, string path, string? user = null, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (user == "admin") request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        else if (user != null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user == "curator" ? "curator:cur-secret" : "reader:read-secret")));
        if (json != null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>How many studies QIDO-RS answers at <paramref name="path"/> (none: 204 or an empty array).</summary>
    private async Task<int> Qido(string path, string? user = null)
    {
        var (status, body) = await Http(HttpMethod.Get, path, user);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK).Or.EqualTo(HttpStatusCode.NoContent), body);
        return body.Length == 0 ? 0 : JsonNode.Parse(body)!.AsArray().Count;
    }

    private int Findscu(string calledAe)
    {
        var find = Tciapacs.Dcmtk("findscu", "-S", "-aet", "VIEWER", "-aec", calledAe, "127.0.0.1", _server.PortText, "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID");
        Assert.That(find.ExitCode, Is.Zero, find.StdOut + find.StdErr);
        return ServerProcess.Count(find.StdOut + find.StdErr, "(Pending)");
    }

    private int Getscu(string study)
    {
        var folder = Path.Combine(_files, "got-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var get = Tciapacs.Dcmtk("getscu", ["-S", "-aet", "VIEWER", "-aec", _server.Ae, "-od", folder, "127.0.0.1", _server.PortText,
            "-k", "QueryRetrieveLevel=STUDY", "-k", $"StudyInstanceUID={study}"]);
        Assert.That(get.ExitCode, Is.Zero, get.StdOut + get.StdErr);
        return Directory.GetFiles(folder).Length;
    }

    [Test]
    public async Task Intake_is_seen_by_curators_only_until_a_curator_publishes_it()
    {
        var sent = Tciapacs.Dcmtk("storescu", "+sd", "-aet", "SITE", "-aec", "LUNG_INTAKE", "127.0.0.1", _server.PortText, _files);
        Assert.That(sent.ExitCode, Is.Zero, sent.StdOut + sent.StdErr);
        var study = GeneratedStudies.StudyUid(0);

        // Waiting in intake: nobody but a curator sees it.
        Assert.That(Findscu(_server.Ae), Is.Zero, "findscu through our AE title");
        Assert.That(Findscu("LUNG_INTAKE"), Is.Zero, "findscu through the intake AE title the site sent to");
        Assert.That(Getscu(study), Is.Zero, "getscu");
        Assert.That(await Qido("/dicom-web/studies"), Is.Zero, "QIDO-RS without signing in");
        Assert.That(await Qido("/dicom-web/studies", "reader"), Is.Zero, "QIDO-RS as a reader");
        Assert.That((await Http(HttpMethod.Get, "/collections/lung-intake/dicom-web/studies", "reader")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await Http(HttpMethod.Get, $"/dicom-web/studies/{study}/metadata")).Status, Is.EqualTo(HttpStatusCode.NotFound), "WADO-RS");
        Assert.That((await Http(HttpMethod.Get, "/nbia-api/services/v1/getCollectionValues")).Body, Does.Not.Contain("lung-intake"), "NBIA");
        var dimseCurator = Tciapacs.Run("find", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--level", "STUDY", "StudyInstanceUID", "--user", "curator", "--password", "cur-secret");
        Assert.That(dimseCurator.StdOut, Does.Contain($"{GeneratedStudies.Studies} match(es)"), dimseCurator.StdOut + dimseCurator.StdErr);
        Assert.That(await Qido("/collections/lung-intake/dicom-web/studies", "curator"), Is.EqualTo(GeneratedStudies.Studies));

        // The curator's worklist.
        var (status, body) = await Http(HttpMethod.Get, "/api/curation/intake", "curator");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        var intake = JsonNode.Parse(body)!.AsArray().Single()!;
        Assert.That((string?)intake["collection"], Is.EqualTo("lung-intake"));
        Assert.That((string?)intake["publishTo"], Is.EqualTo("lung-trial"));
        Assert.That(intake["studies"]!.AsArray().Select(s => (string?)s!["study"]), Is.EquivalentTo(Enumerable.Range(0, GeneratedStudies.Studies).Select(GeneratedStudies.StudyUid)));
        Assert.That((int?)intake["studies"]!.AsArray().First(s => (string?)s!["study"] == study)!["instances"], Is.EqualTo(4));

        // Who may not publish, and what is not a move.
        Assert.That((await Http(HttpMethod.Post, "/api/curation/move", json: $$"""{"studies": ["{{study}}"]}""")).Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await Http(HttpMethod.Post, "/api/curation/move", "reader", $$"""{"studies": ["{{study}}"]}""")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        foreach (var bad in new[] { "[]", "{}", """{"studies": "x"}""", """{"studies": ["not a uid"]}""", """{"from": "lung-intake", "wherever": 1}""",
                     $$"""{"studies": ["{{study}}"], "to": "lung-trail"}""", "not json" })
        {
            var refused = await Http(HttpMethod.Post, "/api/curation/move", "curator", bad);
            Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.BadRequest), bad + " → " + refused.Body);
        }
        Assert.That((await Http(HttpMethod.Post, "/api/curation/move", "curator", """{"studies": ["1.2.3.4"]}""")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await Qido("/dicom-web/studies"), Is.Zero, "nothing moved by a refused request");

        // Published: to lung-trial, where the intake publishes by default.
        (status, body) = await Http(HttpMethod.Post, "/api/curation/move", "curator", $$"""{"studies": ["{{study}}"]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        var moved = JsonNode.Parse(body)!;
        Assert.That(((int?)moved["moved"], (int?)moved["instances"], (string?)moved["studies"]![0]!["to"]), Is.EqualTo((1, 4, "lung-trial")), body);

        Assert.That(Findscu(_server.Ae), Is.EqualTo(1), "findscu finds the published study, and only it");
        Assert.That(Getscu(study), Is.EqualTo(4), "getscu retrieves all of it");
        Assert.That(Getscu(GeneratedStudies.StudyUid(1)), Is.Zero, "the others still wait");
        Assert.That(await Qido("/dicom-web/studies"), Is.EqualTo(1));
        Assert.That(await Qido("/collections/lung-trial/dicom-web/studies?PatientName=Doe^John"), Is.EqualTo(1), "found in its collection through the index");
        Assert.That(await Qido("/collections/lung-intake/dicom-web/studies?PatientName=Doe^John", "curator"), Is.EqualTo(1), "study 1 of P1 is still in intake");
        Assert.That((await Http(HttpMethod.Get, $"/dicom-web/studies/{study}/metadata")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Http(HttpMethod.Get, "/nbia-api/services/v1/getCollectionValues")).Body, Does.Contain("lung-trial").And.Not.Contain("lung-intake"));

        // The rest of patient P2 by patient, back and forth: withdrawn into intake, the study is hidden again.
        (status, body) = await Http(HttpMethod.Post, "/api/curation/move", "curator", """{"from": "lung-intake", "patients": ["P2"]}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(await Qido("/dicom-web/studies"), Is.EqualTo(2));
        (status, body) = await Http(HttpMethod.Post, "/api/curation/move", "curator", """{"from": "lung-trial", "patients": ["P2"], "to": "lung-intake"}""");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(await Qido("/dicom-web/studies"), Is.EqualTo(1), "withdrawn");

        // Rejected: published data is withdrawn before it is deleted; in intake, a series, then the rest of the study.
        var rejected = GeneratedStudies.StudyUid(1);
        Assert.That((await Http(HttpMethod.Delete, $"/api/curation/studies/{study}", "curator")).Status, Is.EqualTo(HttpStatusCode.Conflict), "published");
        Assert.That((await Http(HttpMethod.Delete, $"/api/curation/studies/{rejected}", "reader")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await Http(HttpMethod.Delete, "/api/curation/studies/1.2.3.4", "curator")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        // A reader study's annotations of each series, which go with the series they annotate.
        string AnnotationsOf(int series) => Path.Combine(_server.Data, "annotations", GeneratedStudies.SeriesUid(1, series));
        foreach (var series in new[] { 0, 1 })
            Assert.That((await Http(HttpMethod.Put, $"/api/series/{GeneratedStudies.SeriesUid(1, series)}/annotations/reads.json", "curator", """{"reader": "R1"}""")).Status,
                Is.EqualTo(HttpStatusCode.Created));
        (status, body) = await Http(HttpMethod.Delete, $"/api/curation/studies/{rejected}/series/{GeneratedStudies.SeriesUid(1, 0)}", "curator");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That((int?)JsonNode.Parse(body)!["instances"], Is.EqualTo(2));
        Assert.That((Directory.Exists(AnnotationsOf(0)), Directory.Exists(AnnotationsOf(1))), Is.EqualTo((false, true)), "the rejected series' annotations go with it");
        Assert.That(await Qido($"/collections/lung-intake/dicom-web/studies/{rejected}/instances", "curator"), Is.EqualTo(2), "the other series is left");
        (status, body) = await Http(HttpMethod.Delete, $"/api/curation/studies/{rejected}", "admin");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), "the admin token curates too: " + body);
        Assert.That(Directory.Exists(AnnotationsOf(1)), Is.False, "and the rest of the study's");
        Assert.That(await Qido($"/collections/lung-intake/dicom-web/studies?StudyInstanceUID={rejected}", "curator"), Is.Zero);
        Assert.That(JsonNode.Parse((await Http(HttpMethod.Get, "/api/curation/intake", "admin")).Body)!.AsArray()[0]!["studies"]!.AsArray()
            .Select(s => (string?)s!["study"]), Is.EquivalentTo(new[] { GeneratedStudies.StudyUid(2) }));
        // Gone for good: sent again through our own AE title, the study starts afresh in the default collection.
        var again = Tciapacs.Dcmtk("storescu", "-aet", "SITE", "-aec", _server.Ae, "127.0.0.1", _server.PortText,
            Path.Combine(_files, "st1-se0-i0.dcm"), Path.Combine(_files, "st1-se1-i0.dcm"));
        Assert.That(again.ExitCode, Is.Zero, again.StdOut + again.StdErr);
        Assert.That(await Qido($"/collections/default/dicom-web/studies?StudyInstanceUID={rejected}"), Is.EqualTo(1));

        (status, body) = await Http(HttpMethod.Get, "/api/curation/log", "curator");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        var log = JsonNode.Parse(body)!.AsArray();
        Assert.That(log.Select(e => ((string?)e!["who"], (string?)e["action"], (string?)e["study"], (string?)e["to"], (int?)e["instances"])), Is.EqualTo(new[]
        {
            ("curator", "move", study, "lung-trial", 4), ("curator", "move", GeneratedStudies.StudyUid(2), "lung-trial", 4),
            ("curator", "move", GeneratedStudies.StudyUid(2), "lung-intake", 4),
            ("curator", "delete", rejected, "", 2), ("admin", "delete", rejected, "", 2),
        }));
        Assert.That((string?)log[3]!["series"], Is.EqualTo(GeneratedStudies.SeriesUid(1, 0)));
        Assert.That((await Http(HttpMethod.Get, "/api/curation/log", "reader")).Status, Is.EqualTo(HttpStatusCode.Forbidden));

        // The access audit trail: the published study left by getscu (as VIEWER) and WADO-RS (anonymous), once each.
        (status, body) = await Http(HttpMethod.Get, $"/api/audit?study={study}", "curator");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        var audit = JsonNode.Parse(body)!.AsArray();
        Assert.That(audit.Select(e => ((string?)e!["who"], (string?)e["door"], (string?)e["action"], (string?)e["collection"], (int?)e["instances"])), Is.EquivalentTo(new[]
        {
            ("VIEWER", "dimse", "get", "lung-trial", 4), ("anonymous", "dicomweb", "retrieve", "lung-trial", 4),
        }), body);
        Assert.That((await Http(HttpMethod.Get, "/api/audit", "reader")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await Http(HttpMethod.Get, "/api/audit?from=yesterday", "curator")).Status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(_server.WaitForLog("Moved study " + study), Is.True, _server.Log);
    }
}
