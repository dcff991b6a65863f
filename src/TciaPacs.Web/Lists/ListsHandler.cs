using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive.Lists;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Web.Lists;

/// <summary>
/// Shared lists of series (<c>/api/lists</c>): a researcher names a selection of series so that colleagues and scripts
/// fetch the same ones (TCIA's shared carts; NBIA's <c>getContentsByName</c> reads them too). <c>GET /api/lists</c>
/// (every list: name, owner, description, count), <c>GET /api/lists/{name}</c> (the list, its series those the caller
/// sees), <c>PUT /api/lists/{name}</c> with <c>{"description": "...", "series": ["UID", ...]}</c> (creates it, or
/// replaces the caller's own), <c>DELETE /api/lists/{name}</c> (the caller's own). Every series put in a list must be
/// one the caller sees; on a server with users, only someone signed in keeps lists.
/// </summary>
internal sealed class ListsHandler(DicomWebService service)
{
    /// <summary>A list's body is read whole: this bounds it (100,000 UIDs of 64 characters fit).</summary>
    private const long MaxBody = 8 << 20;

    public Task AllAsync(HttpContext context)
    {
        var lists = service.Archive.Lists.All().Select(l => new JsonObject
        {
            ["name"] = l.Name, ["owner"] = l.Owner, ["description"] = l.Description, ["seriesCount"] = l.SeriesInstanceUids.Count,
            ["updated"] = l.Updated.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        });
        return Kept.WriteJson(context, new JsonArray([.. lists]));
    }

    public Task GetAsync(HttpContext context)
    {
        var list = Existing(context);
        var seen = VisibleSeries(service, RequestScope.From(context), list.SeriesInstanceUids, context.RequestAborted).Select(m => m.Entity.Key).ToHashSet(StringComparer.Ordinal);
        return Kept.WriteJson(context, new JsonObject
        {
            ["name"] = list.Name, ["owner"] = list.Owner, ["description"] = list.Description,
            ["created"] = list.Created.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["updated"] = list.Updated.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            // In the list's order; a series the caller does not see (or no longer stored) is left out.
            ["series"] = new JsonArray([.. list.SeriesInstanceUids.Where(seen.Contains).Select(u => (JsonNode)u)]),
        });
    }

    public async Task PutAsync(HttpContext context)
    {
        var name = Kept.Name<SeriesList>(context);
        var caller = Kept.Keeper(service, context);
        var body = await Kept.ReadJsonAsync(context, MaxBody).ConfigureAwait(false);
        if (body is not JsonObject o || o["series"] is not JsonArray array)
            throw new DicomWebException(StatusCodes.Status400BadRequest, "the body is {\"description\": \"...\", \"series\": [\"Series Instance UID\", ...]}");
        var uids = new List<string>();
        foreach (var item in array)
        {
            if (item is not JsonValue v || !v.TryGetValue<string>(out var uid) || !DicomUids.IsValid(uid))
                throw new DicomWebException(StatusCodes.Status400BadRequest, $"'{item?.ToJsonString()}' is not a Series Instance UID");
            if (!uids.Contains(uid, StringComparer.Ordinal)) uids.Add(uid);
        }
        if (uids.Count > SeriesList.MaxSeries) throw new DicomWebException(StatusCodes.Status400BadRequest, $"a list holds at most {SeriesList.MaxSeries} series");
        var description = o["description"] is JsonValue d && d.TryGetValue<string>(out var text) ? text : "";
        var found = VisibleSeries(service, RequestScope.From(context), uids, context.RequestAborted).Select(m => m.Entity.Key).ToHashSet(StringComparer.Ordinal);
        if (uids.FirstOrDefault(u => !found.Contains(u)) is { } missing)
            throw new DicomWebException(StatusCodes.Status400BadRequest, $"series {missing} not found ({uids.Count(u => !found.Contains(u))} of {uids.Count} not found)");
        var existing = service.Archive.Lists.Get(name);
        if (existing != null && existing.Owner != caller) throw new DicomWebException(StatusCodes.Status403Forbidden, $"list {name} belongs to {existing.Owner}");
        var now = DateTimeOffset.UtcNow;
        service.Archive.Lists.Save(name, new SeriesList(name, caller, description, uids, existing?.Created ?? now, now));
        service.Log.LogInformation("List {List} {Action} by {Caller}: {Count} series", name, existing == null ? "created" : "replaced", caller, uids.Count);
        context.Response.StatusCode = existing == null ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        context.Response.Headers.Location = $"/api/lists/{name}";
        await Kept.WriteJson(context, new JsonObject { ["name"] = name, ["seriesCount"] = uids.Count }).ConfigureAwait(false);
    }

    public Task DeleteAsync(HttpContext context)
    {
        var caller = Kept.Keeper(service, context);
        var list = Existing(context);
        if (list.Owner != caller) throw new DicomWebException(StatusCodes.Status403Forbidden, $"list {list.Name} belongs to {list.Owner}");
        service.Archive.Lists.Delete(list.Name);
        service.Log.LogInformation("List {List} deleted by {Caller}", list.Name, caller);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    /// <summary>
    /// The series of <paramref name="uids"/> the caller sees (stored, in a collection of its scope), matched in one
    /// query by a UID list (PS3.4 C.2.2.2.2) a page at a time.
    /// </summary>
    public static List<QueryMatch> VisibleSeries(DicomWebService service, RequestScope scope, IReadOnlyList<string> uids, CancellationToken cancellationToken)
    {
        var found = new List<QueryMatch>();
        foreach (var page in uids.Chunk(500))
        {
            var key = QueryKey.Create(DicomTags.SeriesInstanceUID, VR.UI, string.Join('\\', page));
            found.AddRange(service.Archive.Query.Find(new DicomQuery(QueryLevel.Series, [key]) { Collections = scope.Collections }, cancellationToken));
        }
        return found;
    }

    private SeriesList Existing(HttpContext context)
    {
        var name = Kept.Name<SeriesList>(context);
        return service.Archive.Lists.Get(name) ?? throw new DicomWebException(StatusCodes.Status404NotFound, $"list {name} not found");
    }
}

/// <summary>What the handlers of kept documents (shared lists, saved queries) share: names, keepers, JSON in and out.</summary>
internal static class Kept
{
    /// <summary>The route's <c>{name}</c>, or 400 when it cannot name a document.</summary>
    public static string Name<T>(HttpContext context) where T : class
    {
        var name = DicomWebService.Route(context, "name") ?? "";
        return NamedDocumentStore<T>.Problem(name) is { } why ? throw new DicomWebException(StatusCodes.Status400BadRequest, why) : name;
    }

    /// <summary>Who keeps a document: on a server with users, someone signed in (else 401); on an open one, anyone.</summary>
    public static string Keeper(DicomWebService service, HttpContext context)
    {
        var caller = DicomWebCaller.Of(context);
        if (caller.User == null && service.Options.Access.Authenticate != null)
            throw new DicomWebException(StatusCodes.Status401Unauthorized, "sign in (HTTP Basic) to keep a list or a query");
        return caller.Name;
    }

    /// <summary>The request's JSON body, read up to <paramref name="max"/> bytes and no further (413 past it; a chunked body announces no length).</summary>
    public static async Task<JsonNode?> ReadJsonAsync(HttpContext context, long max)
    {
        if (context.Request.ContentLength > max) throw new DicomWebException(StatusCodes.Status413PayloadTooLarge, $"the body is at most {max >> 10} KiB");
        using var limited = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (limited.Length + read > max) throw new DicomWebException(StatusCodes.Status413PayloadTooLarge, $"the body is at most {max >> 10} KiB");
            limited.Write(buffer, 0, read);
        }
        try
        {
            return JsonNode.Parse(limited.GetBuffer().AsMemory(0, (int)limited.Length).Span);
        }
        catch (JsonException e)
        {
            throw new DicomWebException(StatusCodes.Status400BadRequest, $"the body is not JSON: {e.Message}");
        }
    }

    public static async Task WriteJson(HttpContext context, JsonNode node)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(node.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
