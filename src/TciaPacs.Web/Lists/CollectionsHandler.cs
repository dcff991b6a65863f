using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Lists;

namespace TciaPacs.Web.Lists;

/// <summary>
/// The collections a caller sees, as TCIA's collection browser shows them (<c>/api/collections</c>): each with its
/// access (public, limited, or intake for curators), what it holds, and what curators say of it (description, DOI,
/// licence, citation: <c>PUT /api/collections/{collection}</c>, curators only).
/// </summary>
internal sealed class CollectionsHandler(DicomWebService service)
{
    private const long MaxBody = 256 << 10;

    /// <summary><c>GET /api/collections</c>: every collection the caller sees, by name.</summary>
    public Task AllAsync(HttpContext context)
    {
        var caller = DicomWebCaller.Of(context);
        var summaries = service.Archive.Catalog.CollectionSummaries().ToDictionary(s => s.Collection, StringComparer.Ordinal);
        var names = summaries.Keys
            .Concat(service.Archive.Descriptions.All().Select(d => d.Collection))
            .Concat(service.Archive.Curation.Options.IntakeCollections.Keys)
            .Distinct(StringComparer.Ordinal).Where(caller.Sees).Order(StringComparer.Ordinal);
        return Kept.WriteJson(context, new JsonArray([.. names.Select(n => (JsonNode)Describe(n, summaries.GetValueOrDefault(n)))]));
    }

    /// <summary><c>GET /api/collections/{collection}</c>: one (404 when it holds nothing and is not described).</summary>
    public Task GetAsync(HttpContext context)
    {
        var name = DicomWebService.Route(context, "collection") ?? "";
        var summary = service.Archive.Catalog.CollectionSummaries().FirstOrDefault(s => s.Collection == name);
        if (summary == null && service.Archive.Descriptions.Get(name) == null && !service.Archive.Curation.Options.IsIntake(name))
            throw new DicomWebException(StatusCodes.Status404NotFound, $"collection {name} not found");
        return Kept.WriteJson(context, Describe(name, summary));
    }

    /// <summary>
    /// <c>PUT /api/collections/{collection}</c> with <c>{"description": "...", "descriptionUri": "https://doi.org/...",
    /// "license": {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}, "citation": "..."}</c>.
    /// </summary>
    public async Task PutAsync(HttpContext context)
    {
        var name = DicomWebService.Route(context, "collection") ?? "";
        var body = await Kept.ReadJsonAsync(context, MaxBody).ConfigureAwait(false) as JsonObject
            ?? throw Bad("the body is {\"description\": \"...\", \"descriptionUri\": \"https://...\", \"license\": {\"name\": \"...\", \"url\": \"https://...\"}, \"citation\": \"...\"}");
        foreach (var (member, _) in body)
            if (member is not ("description" or "descriptionUri" or "license" or "citation"))
                throw Bad($"unknown member '{member}': a description takes description, descriptionUri, license and citation");
        var description = Text(body, "description") ?? throw Bad("\"description\" is required");
        string? licenseName = null, licenseUrl = null;
        if (body["license"] is JsonObject license)
        {
            foreach (var (member, _) in license)
                if (member is not ("name" or "url")) throw Bad($"unknown member 'license.{member}': a licence takes name and url");
            licenseName = Text(license, "name") ?? throw Bad("\"license\" needs a \"name\"");
            licenseUrl = Uri(license, "url");
        }
        else if (body["license"] is not null) throw Bad("\"license\" is {\"name\": \"...\", \"url\": \"https://...\"}");
        var caller = DicomWebCaller.Of(context);
        var existed = service.Archive.Descriptions.Get(name) != null;
        var saved = new CollectionDescription(name, description, Uri(body, "descriptionUri"), licenseName, licenseUrl, Text(body, "citation"), caller.Name, DateTimeOffset.UtcNow);
        service.Archive.Descriptions.Save(saved);
        service.Log.LogInformation("Collection {Collection} described by {User} (licence {License})", name, caller.Name, licenseName ?? "none");
        context.Response.StatusCode = existed ? StatusCodes.Status200OK : StatusCodes.Status201Created;
        await Kept.WriteJson(context, Describe(name, service.Archive.Catalog.CollectionSummaries().FirstOrDefault(s => s.Collection == name))).ConfigureAwait(false);
    }

    private JsonObject Describe(string name, CollectionSummary? summary)
    {
        var curation = service.Archive.Curation.Options;
        var publicCollections = service.Options.Access.PublicCollections;
        var d = service.Archive.Descriptions.Get(name);
        return new JsonObject
        {
            ["collection"] = name,
            ["access"] = curation.IsIntake(name) ? "intake" : publicCollections == null || publicCollections.Contains(name) ? "public" : "limited",
            ["publishTo"] = curation.IsIntake(name) ? curation.PublishTargetOf(name) : null,
            ["patients"] = summary?.Patients ?? 0, ["studies"] = summary?.Studies ?? 0, ["series"] = summary?.Series ?? 0,
            ["instances"] = summary?.Instances ?? 0, ["size"] = summary?.Size ?? 0,
            ["description"] = d?.Description, ["descriptionUri"] = d?.DescriptionUri,
            ["license"] = d?.LicenseName is { } license ? new JsonObject { ["name"] = license, ["url"] = d.LicenseUrl } : null,
            ["citation"] = d?.Citation,
            ["updated"] = d?.Updated.ToString("O", CultureInfo.InvariantCulture), ["updatedBy"] = d?.UpdatedBy,
        };
    }

    private static DicomWebException Bad(string why) => new(StatusCodes.Status400BadRequest, why);

    /// <summary>A text member: absent or null gives null; else a string of at most 64 KiB.</summary>
    private static string? Text(JsonObject body, string member)
    {
        if (body[member] is null) return null;
        if (body[member] is not JsonValue v || !v.TryGetValue<string>(out var text) || text.Length > 65536) throw Bad($"\"{member}\" is a string of at most 64 KiB");
        return text;
    }

    /// <summary>An absolute http or https URI (a DOI as https://doi.org/...), or null.</summary>
    private static string? Uri(JsonObject body, string member)
    {
        var text = Text(body, member);
        if (text == null) return null;
        if (!System.Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw Bad($"\"{member}\" is an absolute http or https URI ('{text}' is not)");
        return text;
    }
}
