using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Web.Tests;

/// <summary>
/// TCIA's NBIA Search REST API (<c>/nbia-api/services/v1</c>) over the archive, with TCIA's parameter and field
/// names: collections and the distinct modalities, body parts and manufacturers, patients, studies and series with
/// their filters, a series' size and SOP Instance UIDs, the series as a zip of its files and one file, JSON and CSV,
/// and what a collection the caller does not see hides.
/// </summary>
[TestFixture]
public sealed class NbiaApiTests : WebServerFixture
{
    private const string Study = "1.2.826.0.1.3680043.10.550.1";
    private const string CtSeries = Study + ".1";
    private const string MrSeries = Study + ".2";
    private const string OtherStudy = "1.2.826.0.1.3680043.10.550.2";

    protected override DicomWebAccess Access => new()
    {
        Authenticate = (name, password) => (name, password) switch
        {
            ("curator", "pw") => new DicomWebUser("curator", true, true, true, null) { Curate = true },
            ("investigator", "pw") => new DicomWebUser("investigator", false, true, true, new HashSet<string>(StringComparer.Ordinal) { "PRIVATE-TRIAL" }),
            _ => null,
        },
        PublicCollections = new HashSet<string>(StringComparer.Ordinal) { "LUNG-CT" },
        AnonymousStore = false,
    };

    private string Nbia => Base[..^"/dicom-web".Length] + "/nbia-api/services/v1";

    private static byte[] Instance(string study, string series, string sop, string modality, string bodyPart, string manufacturer, string patient = "LUNG-001") =>
        MakeInstance(study, series, sop, ds =>
        {
            ds.AddOrUpdate(DicomTags.Modality, VR.CS, modality);
            ds.AddOrUpdate(DicomTags.BodyPartExamined, VR.CS, bodyPart);
            ds.AddOrUpdate(DicomTags.Manufacturer, VR.LO, manufacturer);
            ds.AddOrUpdate(DicomTags.PatientID, VR.LO, patient);
            ds.AddOrUpdate(DicomTags.PatientSex, VR.CS, "F");
            ds.AddOrUpdate(DicomTags.StudyDate, VR.DA, "20240131");
            ds.AddOrUpdate(DicomTags.StudyDescription, VR.LO, "Chest, with contrast");
            ds.AddOrUpdate(DicomTags.SeriesNumber, VR.IS, series == CtSeries ? "1" : "2");
        });

    private readonly List<byte[]> _ct = [];

    [OneTimeSetUp]
    public async Task Store()
    {
        for (var i = 1; i <= 3; i++) _ct.Add(Instance(Study, CtSeries, $"{CtSeries}.{i}", "CT", "CHEST", "ACME"));
        var curator = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("curator:pw"u8.ToArray()));
        async Task StowInto(string collection, IEnumerable<byte[]> files)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"{Base[..^"/dicom-web".Length]}/collections/{collection}/dicom-web/studies") { Content = StowContent(files) };
            request.Headers.Authorization = curator;
            using var response = await Http.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        }
        await StowInto("LUNG-CT", [.. _ct, Instance(Study, MrSeries, MrSeries + ".1", "MR", "CHEST", "Zeta")]);
        await StowInto("PRIVATE-TRIAL", [Instance(OtherStudy, OtherStudy + ".1", OtherStudy + ".1.1", "PT", "WHOLEBODY", "Hidden", "TRIAL-007")]);
    }

    private async Task<JsonArray> Json(string endpoint, bool signedIn = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"{Nbia}/{endpoint}");
        if (signedIn) request.Headers.Authorization = new("Basic", Convert.ToBase64String("curator:pw"u8.ToArray()));
        using var response = await Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/json"));
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
    }

    private static List<string> Field(JsonArray rows, string name) => rows.Select(r => r![name]!.ToString()).ToList();

    [Test]
    public async Task Value_lists_and_their_filters_are_TCIAs()
    {
        Assert.That(Field(await Json("getCollectionValues"), "Collection"), Is.EqualTo(new[] { "LUNG-CT" }), "the public collection only");
        Assert.That(Field(await Json("getCollectionValues", signedIn: true), "Collection"), Is.EqualTo(new[] { "LUNG-CT", "PRIVATE-TRIAL" }), "signed in: every one");
        Assert.That(Field(await Json("getModalityValues?Collection=LUNG-CT"), "Modality"), Is.EqualTo(new[] { "CT", "MR" }));
        Assert.That(Field(await Json("getModalityValues?Collection=PRIVATE-TRIAL"), "Modality"), Is.Empty, "a collection the caller does not see has nothing");
        Assert.That(Field(await Json("getBodyPartValues?Modality=MR"), "BodyPartExamined"), Is.EqualTo(new[] { "CHEST" }));
        Assert.That(Field(await Json("getManufacturerValues?Collection=LUNG-CT&Modality=CT"), "Manufacturer"), Is.EqualTo(new[] { "ACME" }));
        Assert.That(Field(await Json("getManufacturerValues", signedIn: true), "Manufacturer"), Is.EqualTo(new[] { "ACME", "Hidden", "Zeta" }));
    }

    [Test]
    public async Task Patients_studies_and_series_carry_TCIAs_fields()
    {
        var patients = await Json("getPatient?Collection=LUNG-CT");
        Assert.That(patients, Has.Count.EqualTo(1));
        Assert.That(patients[0]!["PatientId"]!.ToString(), Is.EqualTo("LUNG-001"));
        Assert.That(patients[0]!["PatientSex"]!.ToString(), Is.EqualTo("F"));
        Assert.That(patients[0]!["Collection"]!.ToString(), Is.EqualTo("LUNG-CT"));

        var studies = await Json("getPatientStudy?Collection=LUNG-CT&PatientID=LUNG-001");
        Assert.That(Field(studies, "StudyInstanceUID"), Is.EqualTo(new[] { Study }));
        Assert.That(studies[0]!["StudyDate"]!.ToString(), Is.EqualTo("2024-01-31"));
        Assert.That((int)studies[0]!["SeriesCount"]!, Is.EqualTo(2));

        var series = await Json($"getSeries?StudyInstanceUID={Study}");
        Assert.That(Field(series, "SeriesInstanceUID"), Is.EqualTo(new[] { CtSeries, MrSeries }));
        var ct = series[0]!;
        Assert.That((int)ct["ImageCount"]!, Is.EqualTo(3));
        Assert.That((long)ct["FileSize"]!, Is.EqualTo(_ct.Sum(f => (long)f.Length)).Within(3 * 64), "the stored files' sizes");
        Assert.That(ct["Modality"]!.ToString(), Is.EqualTo("CT"));
        Assert.That(ct["BodyPartExamined"]!.ToString(), Is.EqualTo("CHEST"));
        Assert.That(ct["Manufacturer"]!.ToString(), Is.EqualTo("ACME"));
        Assert.That(ct["PatientID"]!.ToString(), Is.EqualTo("LUNG-001"));
        Assert.That(ct["Collection"]!.ToString(), Is.EqualTo("LUNG-CT"));
        Assert.That(ct["SeriesNumber"]!.ToString(), Is.EqualTo("1"));
        Assert.That(ct.AsObject().ContainsKey("ProtocolName"), Is.False, "a field without a value is left out, as NBIA does");
        Assert.That(Field(await Json("getSeries?Modality=MR&Manufacturer=Zeta"), "SeriesInstanceUID"), Is.EqualTo(new[] { MrSeries }));
        Assert.That(await Json("getSeries?PatientID=TRIAL-007"), Is.Empty, "another collection's patient, not signed in");
        Assert.That(Field(await Json("getSeries?PatientID=TRIAL-007", signedIn: true), "Modality"), Is.EqualTo(new[] { "PT" }));
    }

    [Test]
    public async Task A_series_size_its_UIDs_its_zip_and_one_file()
    {
        var size = (await Json($"getSeriesSize?SeriesInstanceUID={CtSeries}"))[0]!;
        Assert.That((int)size["ObjectCount"]!, Is.EqualTo(3));
        var bytes = double.Parse(size["TotalSizeInBytes"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(Field(await Json($"getSOPInstanceUIDs?SeriesInstanceUID={CtSeries}"), "SOPInstanceUID"), Is.EqualTo(new[] { CtSeries + ".1", CtSeries + ".2", CtSeries + ".3" }));

        using var zipResponse = await Http.GetAsync($"{Nbia}/getImage?SeriesInstanceUID={CtSeries}");
        Assert.That(zipResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(zipResponse.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/zip"));
        using var zip = new ZipArchive(new MemoryStream(await zipResponse.Content.ReadAsByteArrayAsync()));
        Assert.That(zip.Entries.Select(e => e.Name).Order(), Is.EqualTo(new[] { CtSeries + ".1.dcm", CtSeries + ".2.dcm", CtSeries + ".3.dcm" }));
        Assert.That(zip.Entries.Sum(e => e.Length), Is.EqualTo(bytes), "getSeriesSize counts what getImage gives");
        foreach (var entry in zip.Entries)
        {
            using var stream = entry.Open();
            var file = DicomFile.Read(stream);
            Assert.That(file.Dataset.GetString(DicomTags.SOPInstanceUID) + ".dcm", Is.EqualTo(entry.Name));
            Assert.That(file.Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(DicomFile.Read(new MemoryStream(_ct[int.Parse(entry.Name[^5..^4]) - 1])).Dataset.GetBytes(DicomTags.PixelData).ToArray()));
        }
        using var numbered = new ZipArchive(new MemoryStream(await Http.GetByteArrayAsync($"{Nbia}/getImage?NewFileNames=Yes&SeriesInstanceUID={CtSeries}")));
        Assert.That(numbered.Entries.Select(e => e.Name), Is.EqualTo(new[] { "1-001.dcm", "1-002.dcm", "1-003.dcm" }));

        var single = await Http.GetAsync($"{Nbia}/getSingleImage?SeriesInstanceUID={CtSeries}&SOPInstanceUID={CtSeries}.2");
        Assert.That(single.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(DicomFile.Read(new MemoryStream(await single.Content.ReadAsByteArrayAsync())).Dataset.GetString(DicomTags.SOPInstanceUID), Is.EqualTo(CtSeries + ".2"));

        using var hidden = await Http.GetAsync($"{Nbia}/getImage?SeriesInstanceUID={OtherStudy}.1");
        Assert.That(hidden.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another collection's series, not signed in");
        using var missing = await Http.GetAsync($"{Nbia}/getImage");
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await missing.Content.ReadAsStringAsync(), Does.Contain("SeriesInstanceUID is required"));
    }

    /// <summary>A request to <c>/api{path}</c>, signed in as <paramref name="user"/> (password pw) when given, with a body of <paramref name="type"/>.</summary>
    private async Task<HttpResponseMessage> Api(HttpMethod method, string path, string? user = null, string? body = null, string type = "application/json")
    {
        var request = new HttpRequestMessage(method, $"{Base[..^"/dicom-web".Length]}/api{path}");
        if (user != null) request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user + ":pw")));
        if (body != null) request.Content = new StringContent(body, System.Text.Encoding.UTF8, type);
        return await Http.SendAsync(request);
    }

    private Task<HttpResponseMessage> Lists(HttpMethod method, string path, string? user = null, string? body = null) => Api(method, "/lists" + path, user, body);

    [Test]
    public async Task Collections_are_described_by_curators_and_NBIA_gives_each_series_its_licence()
    {
        const string Description = """
            { "description": "PET/CT of a trial, limited access.", "descriptionUri": "https://doi.org/10.7937/example",
              "license": { "name": "TCIA Restricted", "url": "https://wiki.cancerimagingarchive.net/x/c4hF" }, "citation": "Example et al." }
            """;
        using (var refused = await Api(HttpMethod.Put, "/collections/PRIVATE-TRIAL", "investigator", Description))
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "only curators describe collections");
        foreach (var bad in new[] { "{}", """{"description": "x", "doi": "y"}""", """{"description": "x", "descriptionUri": "doi:10.1/2"}""",
                     """{"description": "x", "license": "CC"}""", """{"description": "x", "license": {"url": "https://a.b/"}}""" })
            using (var refused = await Api(HttpMethod.Put, "/collections/PRIVATE-TRIAL", "curator", bad))
                Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), bad);
        using (var put = await Api(HttpMethod.Put, "/collections/PRIVATE-TRIAL", "curator", Description))
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.Created).Or.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());
        using (var put = await Api(HttpMethod.Put, "/collections/LUNG-CT", "curator", """{"description": "Chest CT, public.", "license": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}}"""))
            Assert.That(put.IsSuccessStatusCode, Is.True, await put.Content.ReadAsStringAsync());

        async Task<JsonArray> Collections(string? user)
        {
            using var response = await Api(HttpMethod.Get, "/collections", user);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        }
        var anyone = await Collections(null);
        Assert.That(Field(anyone, "collection"), Is.EqualTo(new[] { "LUNG-CT" }));
        Assert.That(anyone[0]!["access"]!.ToString(), Is.EqualTo("public"));
        Assert.That(((int)anyone[0]!["studies"]!, (int)anyone[0]!["series"]!, (int)anyone[0]!["instances"]!), Is.EqualTo((1, 2, 4)));
        Assert.That(anyone[0]!["license"]!["name"]!.ToString(), Is.EqualTo("CC BY 4.0"));
        var investigator = await Collections("investigator");
        Assert.That(Field(investigator, "collection"), Is.EqualTo(new[] { "PRIVATE-TRIAL" }));
        Assert.That(investigator[0]!["access"]!.ToString(), Is.EqualTo("limited"));
        Assert.That(investigator[0]!["descriptionUri"]!.ToString(), Is.EqualTo("https://doi.org/10.7937/example"));
        using (var hidden = await Api(HttpMethod.Get, "/collections/PRIVATE-TRIAL"))
            Assert.That(hidden.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a limited collection, not signed in");
        using (var missing = await Api(HttpMethod.Get, "/collections/NO-SUCH", "curator"))
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        Assert.That(Field(await Json("getCollectionDescriptions"), "collectionName"), Is.EqualTo(new[] { "LUNG-CT" }), "a limited collection's description is not public");
        var described = await Json("getCollectionDescriptions?collectionName=PRIVATE-TRIAL", signedIn: true);
        Assert.That(described.Single()!["descriptionURI"]!.ToString(), Is.EqualTo("https://doi.org/10.7937/example"));
        Assert.That(described.Single()!["userName"]!.ToString(), Is.EqualTo("curator"));
        Assert.That((long)described.Single()!["collectionDescTimestamp"]!, Is.GreaterThan(1_700_000_000_000L));

        const string Reads = """{"reader": "R2"}""";
        using (var put = await Api(HttpMethod.Put, $"/series/{OtherStudy}.1/annotations/reads.json", "curator", Reads))
            Assert.That(put.IsSuccessStatusCode, Is.True);
        var metadata = (await Json($"getSeriesMetaData?SeriesInstanceUID={OtherStudy}.1", signedIn: true)).Single()!;
        Assert.That(metadata["Collection"]!.ToString(), Is.EqualTo("PRIVATE-TRIAL"));
        Assert.That(metadata["Subject ID"]!.ToString(), Is.EqualTo("TRIAL-007"));
        Assert.That(metadata["Study UID"]!.ToString(), Is.EqualTo(OtherStudy));
        Assert.That(metadata["Study Date"]!.ToString(), Is.EqualTo("2024-01-31"));
        Assert.That(metadata["Modality"]!.ToString(), Is.EqualTo("PT"));
        Assert.That(metadata["Manufacturer"]!.ToString(), Is.EqualTo("Hidden"));
        Assert.That((int)metadata["Number of Images"]!, Is.EqualTo(1));
        Assert.That(metadata["License Name"]!.ToString(), Is.EqualTo("TCIA Restricted"));
        Assert.That(metadata["Data Description URI"]!.ToString(), Is.EqualTo("https://doi.org/10.7937/example"));
        Assert.That((long)metadata["Annotation Size"]!, Is.EqualTo(Reads.Length));
        using (var hidden = await Http.GetAsync($"{Nbia}/getSeriesMetaData?SeriesInstanceUID={OtherStudy}.1"))
            Assert.That(hidden.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a limited collection's series, not signed in");
        using (var misspelt = await Http.GetAsync($"{Nbia}/getSeriesMetaData?SeriesInstanceUid={OtherStudy}.1"))
            Assert.That(misspelt.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    /// <summary>
    /// Shared lists of series: a curator keeps one across a public and a limited-access collection; each reader gets
    /// the series they see of it, by /api/lists and by NBIA's getContentsByName; only its owner replaces or deletes it;
    /// a series the keeper does not see cannot go in; it is a file that outlives the process.
    /// </summary>
    [Test]
    public async Task Shared_lists_of_series_show_each_reader_what_they_see()
    {
        var cohort = $$"""{ "description": "lung cohort, CT and PET", "series": [ "{{CtSeries}}", "{{OtherStudy}}.1", "{{CtSeries}}" ] }""";
        using (var anonymous = await Lists(HttpMethod.Put, "/lung-cohort", body: cohort))
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "on a server with users, keeping a list needs signing in");
        using (var hidden = await Lists(HttpMethod.Put, "/lung-cohort", "investigator", cohort))
        {
            Assert.That(hidden.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the investigator does not see the CT series");
            Assert.That(await hidden.Content.ReadAsStringAsync(), Does.Contain($"series {CtSeries} not found"));
        }
        using (var created = await Lists(HttpMethod.Put, "/lung-cohort", "curator", cohort))
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());

        async Task<List<string>> Series(string? user)
        {
            using var response = await Lists(HttpMethod.Get, "/lung-cohort", user);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            var list = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.That(list["owner"]!.ToString(), Is.EqualTo("curator"));
            return list["series"]!.AsArray().Select(s => s!.ToString()).ToList();
        }
        Assert.That(await Series("curator"), Is.EqualTo(new[] { CtSeries, OtherStudy + ".1" }), "in the list's order, each once");
        Assert.That(await Series(null), Is.EqualTo(new[] { CtSeries }), "without signing in: the public series");
        Assert.That(await Series("investigator"), Is.EqualTo(new[] { OtherStudy + ".1" }));
        Assert.That(Field(await Json("getContentsByName?name=lung-cohort"), "SeriesInstanceUID"), Is.EqualTo(new[] { CtSeries }), "NBIA's shared cart");
        Assert.That(Field(await Json("getContentsByName?name=lung-cohort", signedIn: true), "ImageCount"), Is.EqualTo(new[] { "3", "1" }));
        using (var all = await Lists(HttpMethod.Get, ""))
            Assert.That(JsonNode.Parse(await all.Content.ReadAsStringAsync())!.AsArray().Select(l => (string)l!["name"]!), Does.Contain("lung-cohort"));

        using (var taken = await Lists(HttpMethod.Put, "/lung-cohort", "investigator", $$"""{ "series": [ "{{OtherStudy}}.1" ] }"""))
            Assert.That(taken.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "only its owner replaces a list");
        using (var notYours = await Lists(HttpMethod.Delete, "/lung-cohort", "investigator"))
            Assert.That(notYours.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var stored = new Archive.Lists.NamedDocumentStore<Archive.Lists.SeriesList>(DataDirectory, "lists").Get("lung-cohort");
        Assert.That(stored!.SeriesInstanceUids, Is.EqualTo(new[] { CtSeries, OtherStudy + ".1" }), "a file of its own, read by a new store");
        Assert.That(stored.Description, Is.EqualTo("lung cohort, CT and PET"));

        foreach (var (body, why) in new[] { ("not json", "not JSON"), ("""{ "series": "x" }""", "the body is"), ("""{ "series": [ "1.2.x" ] }""", "not a Series Instance UID") })
        {
            using var bad = await Lists(HttpMethod.Put, "/other", "curator", body);
            Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
            Assert.That(await bad.Content.ReadAsStringAsync(), Does.Contain(why));
        }
        // A body past the limit is refused as it arrives, chunked (no length announced) or not.
        var huge = new HttpRequestMessage(HttpMethod.Put, $"{Base[..^"/dicom-web".Length]}/api/lists/huge") { Content = new StreamContent(new MemoryStream(new byte[9 << 20])) };
        huge.Headers.Authorization = new("Basic", Convert.ToBase64String("curator:pw"u8.ToArray()));
        huge.Headers.TransferEncodingChunked = true;
        using (var tooLarge = await Http.SendAsync(huge))
            Assert.That(tooLarge.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        using (var badName = await Lists(HttpMethod.Put, "/bad%20name", "curator", cohort))
            Assert.That(badName.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        using (var deleted = await Lists(HttpMethod.Delete, "/lung-cohort", "curator"))
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        using (var gone = await Lists(HttpMethod.Get, "/lung-cohort", "curator"))
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    private Task<HttpResponseMessage> Queries(HttpMethod method, string path, string? user = null, string? body = null) => Api(method, "/queries" + path, user, body);

    /// <summary>
    /// Saved queries: a curator keeps a QIDO-RS query under a name; each reader runs it and gets what they see, paged
    /// by their own limit and offset; only its owner replaces or deletes it; a malformed one is refused when saved, a
    /// misspelt key when run.
    /// </summary>
    [Test]
    public async Task Saved_queries_run_as_QIDO_for_each_reader()
    {
        using (var saved = await Queries(HttpMethod.Put, "/chest", "curator", """{ "description": "chest series", "level": "series", "query": "BodyPartExamined=CHEST&includefield=Manufacturer" }"""))
            Assert.That(saved.StatusCode, Is.EqualTo(HttpStatusCode.Created), await saved.Content.ReadAsStringAsync());
        using (var pet = await Queries(HttpMethod.Put, "/pet", "curator", """{ "level": "series", "query": "?Modality=PT" }"""))
            Assert.That(pet.StatusCode, Is.EqualTo(HttpStatusCode.Created));

        async Task<List<string>> Results(string name, string? user, string paging = "")
        {
            using var response = await Queries(HttpMethod.Get, $"/{name}/results{paging}", user);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/dicom+json"));
            var text = await response.Content.ReadAsStringAsync();
            return text.Length == 0 ? [] : JsonNode.Parse(text)!.AsArray().Select(r => r!["0020000E"]!["Value"]![0]!.ToString()).ToList();
        }
        Assert.That(await Results("chest", null), Is.EqualTo(new[] { CtSeries, MrSeries }), "the public chest series");
        Assert.That(await Results("chest", "curator", "?limit=1"), Is.EqualTo(new[] { CtSeries }), "the reader's own limit");
        Assert.That(await Results("chest", "curator", "?limit=1&offset=1"), Is.EqualTo(new[] { MrSeries }));
        Assert.That(await Results("pet", null), Is.Empty, "the PET series is in a collection the anonymous reader does not see");
        Assert.That(await Results("pet", "investigator"), Is.EqualTo(new[] { OtherStudy + ".1" }));
        using (var one = await Queries(HttpMethod.Get, "/chest"))
        {
            var json = JsonNode.Parse(await one.Content.ReadAsStringAsync())!;
            Assert.That((json["owner"]!.ToString(), json["level"]!.ToString(), json["query"]!.ToString()), Is.EqualTo(("curator", "series", "BodyPartExamined=CHEST&includefield=Manufacturer")));
        }

        using (var taken = await Queries(HttpMethod.Put, "/chest", "investigator", """{ "level": "studies", "query": "" }"""))
            Assert.That(taken.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "only its owner replaces a query");
        using (var anonymous = await Queries(HttpMethod.Put, "/mine", null, """{ "level": "studies", "query": "" }"""))
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        foreach (var body in new[] { """{ "level": "patients", "query": "" }""", """{ "query": "Modality=CT" }""", "[]" })
        {
            using var bad = await Queries(HttpMethod.Put, "/bad", "curator", body);
            Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
        }
        using (var typo = await Queries(HttpMethod.Put, "/typo", "curator", """{ "level": "series", "query": "Modalty=CT" }"""))
            Assert.That(typo.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        using (var runTypo = await Queries(HttpMethod.Get, "/typo/results", "curator"))
        {
            Assert.That(runTypo.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "QIDO-RS names the unknown key");
            Assert.That(await runTypo.Content.ReadAsStringAsync(), Does.Contain("Modalty"));
        }
        using (var deleted = await Queries(HttpMethod.Delete, "/chest", "curator"))
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        using (var gone = await Queries(HttpMethod.Get, "/chest/results"))
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(new Archive.Lists.NamedDocumentStore<Archive.Lists.SavedQuery>(DataDirectory, "queries").Get("pet")!.Query, Is.EqualTo("Modality=PT"), "a file of its own");
    }

    /// <summary>
    /// A collection's clinical data: the curator puts a CSV into the limited-access trial and replaces it; the trial's
    /// investigator lists and reads it but may not write; a caller who does not sign in is asked to; in the public
    /// collection anyone reads; a name that could leave the folder is refused; what is deleted is gone.
    /// </summary>
    [Test]
    public async Task Clinical_data_is_read_as_the_collections_images_are()
    {
        Task<HttpResponseMessage> Send(HttpMethod method, string path, string? user, string? body = null) => Api(method, "/collections" + path, user, body, "text/csv");
        const string Csv = "PatientID,Arm,Outcome\r\nTRIAL-007,B,responder\r\n";
        using (var put = await Send(HttpMethod.Put, "/PRIVATE-TRIAL/clinical/outcomes.csv", "curator", "old"))
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        using (var replaced = await Send(HttpMethod.Put, "/PRIVATE-TRIAL/clinical/outcomes.csv", "curator", Csv))
            Assert.That(replaced.StatusCode, Is.EqualTo(HttpStatusCode.OK), "replaced");
        using (var list = await Send(HttpMethod.Get, "/PRIVATE-TRIAL/clinical", "investigator"))
        {
            var files = JsonNode.Parse(await list.Content.ReadAsStringAsync())!.AsArray();
            Assert.That(files.Select(f => f!["name"]!.ToString()), Is.EqualTo(new[] { "outcomes.csv" }));
            Assert.That((long)files[0]!["size"]!, Is.EqualTo(Csv.Length));
        }
        using (var read = await Send(HttpMethod.Get, "/PRIVATE-TRIAL/clinical/outcomes.csv", "investigator"))
        {
            Assert.That(read.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/csv"));
            Assert.That(await read.Content.ReadAsStringAsync(), Is.EqualTo(Csv), "as it was put");
        }
        using (var anonymous = await Send(HttpMethod.Get, "/PRIVATE-TRIAL/clinical/outcomes.csv", null))
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a limited-access collection asks to sign in");
        using (var investigatorPut = await Send(HttpMethod.Put, "/PRIVATE-TRIAL/clinical/mine.csv", "investigator", Csv))
            Assert.That(investigatorPut.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "the investigator may not store");
        using (var publicPut = await Send(HttpMethod.Put, "/LUNG-CT/clinical/demographics.json", "curator", "[]"))
            Assert.That(publicPut.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        using (var publicRead = await Send(HttpMethod.Get, "/LUNG-CT/clinical/demographics.json", null))
            Assert.That(await publicRead.Content.ReadAsStringAsync(), Is.EqualTo("[]"), "the public collection's data without signing in");
        using (var escape = await Send(HttpMethod.Get, "/LUNG-CT/clinical/..%2F..%2Flists", "curator"))
            Assert.That(escape.StatusCode, Is.AnyOf(HttpStatusCode.BadRequest, HttpStatusCode.NotFound), "no way out of the folder");
        using (var deleted = await Send(HttpMethod.Delete, "/PRIVATE-TRIAL/clinical/outcomes.csv", "curator"))
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        using (var gone = await Send(HttpMethod.Get, "/PRIVATE-TRIAL/clinical/outcomes.csv", "curator"))
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(Directory.GetFiles(Path.Combine(DataDirectory, "clinical"), "*.tmp", SearchOption.AllDirectories), Is.Empty, "no temporary file left");
    }

    /// <summary>
    /// A series' annotations: the curator puts a reader study's JSON on the public CT series; anyone reads it there; the
    /// investigator, who does not see that collection, finds neither the series nor its annotations; storing needs
    /// signing in and Store; an unknown or malformed series is 404 or 400.
    /// </summary>
    [Test]
    public async Task Annotations_of_a_series_go_with_its_images()
    {
        Task<HttpResponseMessage> Send(HttpMethod method, string path, string? user, string? body = null) => Api(method, "/series" + path, user, body, "application/json");
        const string Reads = """{ "reader": "R1", "nodules": [ { "slice": 2, "x": 31, "y": 40, "diameterMm": 6.5 } ] }""";
        using (var put = await Send(HttpMethod.Put, $"/{CtSeries}/annotations/reads.json", "curator", Reads))
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.Created), await put.Content.ReadAsStringAsync());
        using (var read = await Send(HttpMethod.Get, $"/{CtSeries}/annotations/reads.json", null))
        {
            Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a public series' annotations without signing in");
            Assert.That(await read.Content.ReadAsStringAsync(), Is.EqualTo(Reads));
        }
        using (var list = await Send(HttpMethod.Get, $"/{CtSeries}/annotations", null))
            Assert.That(JsonNode.Parse(await list.Content.ReadAsStringAsync())!.AsArray().Select(f => f!["name"]!.ToString()), Is.EqualTo(new[] { "reads.json" }));
        using (var hidden = await Send(HttpMethod.Get, $"/{CtSeries}/annotations", "investigator"))
            Assert.That(hidden.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a series the investigator does not see");
        using (var anonymousPut = await Send(HttpMethod.Put, $"/{CtSeries}/annotations/mine.json", null, "{}"))
            Assert.That(anonymousPut.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using (var readerPut = await Send(HttpMethod.Put, $"/{OtherStudy}.1/annotations/mine.json", "investigator", "{}"))
            Assert.That(readerPut.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "the investigator may not store");
        using (var unknown = await Send(HttpMethod.Get, "/1.2.3.4.5/annotations", "curator"))
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        using (var malformed = await Send(HttpMethod.Get, "/not-a-uid/annotations", "curator"))
            Assert.That(malformed.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        using (var deleted = await Send(HttpMethod.Delete, $"/{CtSeries}/annotations/reads.json", "curator"))
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        using (var gone = await Send(HttpMethod.Get, $"/{CtSeries}/annotations/reads.json", "curator"))
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task CSV_on_request_and_clear_errors_for_what_is_not_served()
    {
        using var csv = await Http.GetAsync($"{Nbia}/getSeries?Collection=LUNG-CT&Modality=CT&format=csv");
        Assert.That(csv.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/csv"));
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        var header = lines[0].Split(',').ToList();
        var values = lines[1];
        Assert.That(header, Does.Contain("SeriesInstanceUID").And.Contain("ImageCount"));
        Assert.That(values, Does.Contain("\"Chest, with contrast\""), "a field with a comma is quoted (RFC 4180)");
        using var unknown = await Http.GetAsync($"{Nbia}/getSeries?Modalty=CT");
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await unknown.Content.ReadAsStringAsync(), Does.Contain("unknown parameter 'Modalty'"));
        using var xml = await Http.GetAsync($"{Nbia}/getCollectionValues?format=xml");
        Assert.That(xml.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }
}
