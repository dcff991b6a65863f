using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Archive.Curation;

namespace TciaPacs.Web.Tests;

/// <summary>
/// An open archive with an intake collection: a site user stores into intake and sees nothing there, nor does anyone
/// who does not sign in; a curator sees it and publishes it, and then everyone sees it where it was published.
/// </summary>
[TestFixture]
public sealed class IntakeAccessTests : WebServerFixture
{
    private const string Study = "1.2.826.0.1.3680043.10.549.31";
    private static readonly Dictionary<string, DicomWebUser> Users = new()
    {
        ["curator"] = new DicomWebUser("curator", true, true, true, null) { Curate = true },
        // A contributing site: stores into intake, and (listing it) would see it if intake were not for curators only.
        ["site"] = new DicomWebUser("site", true, true, true, new HashSet<string>(StringComparer.Ordinal) { "intake" }),
        ["reader"] = new DicomWebUser("reader", false, true, true, null),
    };

    protected override DicomWebAccess Access => new()
    {
        Authenticate = (name, password) => password == "pw" && Users.TryGetValue(name, out var u) ? u : null,
        AnonymousStore = false,
        IntakeCollections = new HashSet<string>(StringComparer.Ordinal) { "intake" },
        KnownCollections = () => Archive.CollectionNames,
    };

    protected override CurationOptions Curation => new() { IntakeCollections = new Dictionary<string, string?> { ["intake"] = "published" } };

    private string Root => Base[..^"/dicom-web".Length];

    private async Task<(HttpStatusCode Status, string Body)> Send(HttpMethod method, string url, string? user, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        if (user != null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:pw")));
        using var response = await Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<int> Studies(string url, string? user)
    {
        var (status, body) = await Send(HttpMethod.Get, url, user);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body);
        return body.Length == 0 ? 0 : JsonNode.Parse(body)!.AsArray().Count;
    }

    [Test]
    public async Task A_site_stores_into_intake_and_only_curators_see_it_until_it_is_published()
    {
        var wado = $"{Base}/studies/{Study}/series/{Study}.1/instances/{Study}.1.1";
        var stow = await Send(HttpMethod.Post, $"{Root}/collections/intake/dicom-web/studies", "site", StowContent([MakeInstance(Study, Study + ".1", Study + ".1.1")]));
        Assert.That(stow.Status, Is.EqualTo(HttpStatusCode.OK), stow.Body);
        Assert.That((await Send(HttpMethod.Post, $"{Root}/collections/other/dicom-web/studies", "site", StowContent([MakeInstance(Study + "9", Study + "9.1", Study + "9.1.1")]))).Status,
            Is.EqualTo(HttpStatusCode.Forbidden), "the site stores into its own collection only");

        Assert.That((await Send(HttpMethod.Get, $"{Root}/collections/intake/dicom-web/studies", "site")).Status, Is.EqualTo(HttpStatusCode.Forbidden), "the site does not see intake");
        Assert.That(await Studies($"{Base}/studies", "site"), Is.Zero);
        Assert.That(await Studies($"{Base}/studies", null), Is.Zero, "an open archive shows nothing of intake to anyone");
        Assert.That(await Studies($"{Base}/studies", "reader"), Is.Zero);
        Assert.That((await Send(HttpMethod.Get, wado, null)).Status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await Send(HttpMethod.Get, $"{Root}/wado?requestType=WADO&studyUID={Study}&seriesUID={Study}.1&objectUID={Study}.1.1", "reader")).Status,
            Is.EqualTo(HttpStatusCode.NotFound), "WADO-URI");
        Assert.That(await Studies($"{Root}/collections/intake/dicom-web/studies", "curator"), Is.EqualTo(1));
        Assert.That((await Send(HttpMethod.Get, $"{Root}/api/curation/intake", "site")).Status, Is.EqualTo(HttpStatusCode.Forbidden));

        var move = await Send(HttpMethod.Post, $"{Root}/api/curation/move", "curator", new StringContent("{\"from\": \"intake\"}", Encoding.UTF8, "application/json"));
        Assert.That(move.Status, Is.EqualTo(HttpStatusCode.OK), move.Body);
        Assert.That((string?)JsonNode.Parse(move.Body)!["studies"]![0]!["to"], Is.EqualTo("published"));
        Assert.That(await Studies($"{Root}/collections/published/dicom-web/studies", null), Is.EqualTo(1), "published: seen by anyone");
        Assert.That((await Send(HttpMethod.Get, wado, "reader")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Studies($"{Root}/collections/intake/dicom-web/studies", "curator"), Is.Zero, "no longer in intake");
    }
}
