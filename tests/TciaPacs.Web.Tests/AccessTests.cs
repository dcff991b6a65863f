using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace TciaPacs.Web.Tests;

/// <summary>
/// DICOMweb with users and a public collection, as a research archive with limited-access collections runs it: a caller
/// who does not sign in sees the public collection only and stores nothing; a user sees and does what they may; an
/// instance of a collection the caller does not see is not found, a collection named in the URL that it may not see
/// is 401 (with a Basic challenge) or 403; wrong credentials are 401 whatever the resource.
/// </summary>
[TestFixture]
public sealed class AccessTests : WebServerFixture
{
    private const string PublicStudy = "1.2.826.0.1.3680043.10.549.1";
    private const string TrialStudy = "1.2.826.0.1.3680043.10.549.2";
    private static readonly Dictionary<string, (string Password, DicomWebUser User)> Users = new()
    {
        // A curator who stores everywhere; an investigator of the trial; a reader who may query but not retrieve.
        ["curator"] = ("c-pass", new DicomWebUser("curator", true, true, true, null)),
        ["investigator"] = ("i-pass", new DicomWebUser("investigator", true, true, true, new HashSet<string>(StringComparer.Ordinal) { "trial" })),
        ["reader"] = ("r-pass:with colon", new DicomWebUser("reader", false, true, false, null)),
    };

    protected override DicomWebAccess Access => new()
    {
        Authenticate = (name, password) => Users.TryGetValue(name, out var u) && u.Password == password ? u.User : null,
        PublicCollections = new HashSet<string>(StringComparer.Ordinal) { "public" },
        AnonymousStore = false,
    };

    private string Root => Base[..^"/dicom-web".Length];

    private static string Instance(string study) => $"/studies/{study}/series/{study}.1/instances/{study}.1.1";

    private async Task<HttpResponseMessage> Send(HttpMethod method, string url, string? user = null, HttpContent? content = null, string? accept = null, string? password = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        if (user != null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password ?? Users[user].Password}")));
        if (accept != null) request.Headers.TryAddWithoutValidation("Accept", accept);
        return await Http.SendAsync(request);
    }

    private Task<HttpResponseMessage> Stow(string collection, string study, string? user) =>
        Send(HttpMethod.Post, $"{Root}/collections/{collection}/dicom-web/studies", user, StowContent([MakeInstance(study, study + ".1", study + ".1.1")]));

    [OneTimeSetUp]
    public async Task StoreBothCollections()
    {
        using var curatorPublic = await Stow("public", PublicStudy, "curator");
        Assert.That(curatorPublic.StatusCode, Is.EqualTo(HttpStatusCode.OK), await curatorPublic.Content.ReadAsStringAsync());
        using var investigatorTrial = await Stow("trial", TrialStudy, "investigator");
        Assert.That(investigatorTrial.StatusCode, Is.EqualTo(HttpStatusCode.OK), await investigatorTrial.Content.ReadAsStringAsync());
    }

    private async Task<List<string>> Studies(string? user, string baseUrl = "")
    {
        using var response = await Send(HttpMethod.Get, (baseUrl.Length > 0 ? baseUrl : Base) + "/studies", user);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? [] : JsonNode.Parse(text)!.AsArray().Select(s => s!["0020000D"]!["Value"]![0]!.GetValue<string>()).Order().ToList();
    }

    [Test]
    public async Task Each_caller_finds_the_studies_of_the_collections_it_sees()
    {
        Assert.That(await Studies(null), Is.EqualTo(new[] { PublicStudy }), "without signing in: the public collection");
        Assert.That(await Studies("investigator"), Is.EqualTo(new[] { TrialStudy }), "the investigator: the trial only");
        Assert.That(await Studies("curator"), Is.EqualTo(new[] { PublicStudy, TrialStudy }), "the curator: every collection");
        Assert.That(await Studies("reader"), Is.EqualTo(new[] { PublicStudy, TrialStudy }), "the reader may query everything");
        Assert.That(await Studies("curator", $"{Root}/collections/trial/dicom-web"), Is.EqualTo(new[] { TrialStudy }), "a collection's base: its studies");
    }

    [Test]
    public async Task An_instance_of_a_collection_the_caller_does_not_see_is_not_found()
    {
        const string Dicom = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";
        foreach (var (path, accept) in new[] { (Instance(TrialStudy), Dicom), ($"/studies/{TrialStudy}/metadata", null), (Instance(TrialStudy) + "/frames/1", "multipart/related; type=\"application/octet-stream\""), (Instance(TrialStudy) + "/rendered", "image/png") })
        {
            using var anonymous = await Send(HttpMethod.Get, Base + path, accept: accept);
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), $"{path} without signing in");
            using var investigator = await Send(HttpMethod.Get, Base + path, "investigator", accept: accept);
            Assert.That(investigator.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{path} by the investigator");
        }
        using var publicOne = await Send(HttpMethod.Get, Base + Instance(PublicStudy), accept: Dicom);
        Assert.That(publicOne.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a public instance without signing in");
        using var investigatorPublic = await Send(HttpMethod.Get, Base + Instance(PublicStudy), "investigator", accept: Dicom);
        Assert.That(investigatorPublic.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the investigator sees the trial only");

        var wado = $"{Root}/wado?requestType=WADO&studyUID={TrialStudy}&seriesUID={TrialStudy}.1&objectUID={TrialStudy}.1.1&contentType=application/dicom";
        using var wadoAnonymous = await Send(HttpMethod.Get, wado);
        Assert.That(wadoAnonymous.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "WADO-URI without signing in");
        using var wadoInvestigator = await Send(HttpMethod.Get, wado, "investigator");
        Assert.That(wadoInvestigator.StatusCode, Is.EqualTo(HttpStatusCode.OK), "WADO-URI by the investigator");
    }

    [Test]
    public async Task What_the_caller_may_not_do_is_401_with_a_challenge_or_403()
    {
        using var anonymousStow = await Stow("public", "1.2.826.0.1.3680043.10.549.3", null);
        Assert.That(anonymousStow.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "no storing without signing in");
        Assert.That(anonymousStow.Headers.WwwAuthenticate.ToString(), Does.StartWith("Basic realm="));
        using var anonymousDefault = await Send(HttpMethod.Post, Base + "/studies", null, StowContent([MakeInstance("1.2.826.0.1.3680043.10.549.4", "1.2.826.0.1.3680043.10.549.4.1", "1.2.826.0.1.3680043.10.549.4.1.1")]));
        Assert.That(anonymousDefault.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        using var anonymousTrial = await Send(HttpMethod.Get, $"{Root}/collections/trial/dicom-web/studies");
        Assert.That(anonymousTrial.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a limited-access collection asks to sign in");
        Assert.That(anonymousTrial.Headers.WwwAuthenticate.ToString(), Does.StartWith("Basic"));
        using var investigatorPublic = await Send(HttpMethod.Get, $"{Root}/collections/public/dicom-web/studies", "investigator");
        Assert.That(investigatorPublic.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "a user outside a collection named in the URL");
        using var investigatorStow = await Stow("public", "1.2.826.0.1.3680043.10.549.5", "investigator");
        Assert.That(investigatorStow.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "storing into a collection the user does not see");

        using var readerRetrieve = await Send(HttpMethod.Get, Base + Instance(PublicStudy), "reader", accept: "multipart/related; type=\"application/dicom\"");
        Assert.That(readerRetrieve.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "the reader may not retrieve");
        Assert.That(await readerRetrieve.Content.ReadAsStringAsync(), Does.Contain("reader may not retrieve"));
        using var readerStow = await Stow("public", "1.2.826.0.1.3680043.10.549.6", "reader");
        Assert.That(readerStow.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "nor store");
        Assert.That(await Studies(null), Is.EqualTo(new[] { PublicStudy }), "nothing refused was stored");
        Assert.That(await Studies("curator"), Is.EqualTo(new[] { PublicStudy, TrialStudy }), "nothing refused was stored anywhere");
    }

    [Test]
    public async Task Wrong_or_malformed_credentials_are_401_whatever_the_resource()
    {
        using var wrong = await Send(HttpMethod.Get, Base + "/studies", "curator", password: "nope");
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a public query with a wrong password");
        Assert.That(await wrong.Content.ReadAsStringAsync(), Does.Contain("wrong password for 'curator'"));
        using var unknown = await Send(HttpMethod.Get, Base + "/studies", "curator", password: null);
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the right password");
        foreach (var header in new[] { "Bearer abc", "Basic !!!", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("no-colon")), "Basic " + Convert.ToBase64String(new byte[] { 0xC3, 0x28, 0x3A }) })
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Base + "/studies");
            request.Headers.TryAddWithoutValidation("Authorization", header);
            using var response = await Http.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), header);
        }
        using var capabilities = await Send(HttpMethod.Get, Base);
        Assert.That(capabilities.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the capabilities need no signing in");
    }
}
