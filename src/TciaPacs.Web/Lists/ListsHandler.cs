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
        return WriteJson(context, new JsonArray([.. lists]));
    }

    public Task GetAsync(HttpContext context)
    {
        var list = Existing(context);
        var seen = VisibleSeries(service, RequestScope.From(context), list.SeriesInstanceUids, context.RequestAborted).Select(m => m.Entity.Key).ToHashSet(StringComparer.Ordinal);
        return WriteJson(context, new JsonObject
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
        var name = Name(context);
        var caller = Keeper(context);
        if (context.Request.ContentLength > MaxBody) throw new DicomWebException(StatusCodes.Status413PayloadTooLarge, $"a list's body is at most {MaxBody >> 20} MiB");
        JsonNode? body;
        try
        {
            // Read up to the limit and no further, whatever the body says of its length (a chunked one says nothing).
            using var limited = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (limited.Length + read > MaxBody) throw new DicomWebException(StatusCodes.Status413PayloadTooLarge, $"a list's body is at most {MaxBody >> 20} MiB");
                limited.Write(buffer, 0, read);
            }
            body = JsonNode.Parse(limited.GetBuffer().AsMemory(0, (int)limited.Length).Span);
        }
        catch (JsonException e)
        {
            throw new DicomWebException(StatusCodes.Status400BadRequest, $"the body is not JSON: {e.Message}");
        }
        if (body is not JsonObject o || o["series"] is not JsonArray array)
            throw new DicomWebException(StatusCodes.Status400BadRequest, "the body is {\"description\": \"...\", \"series\": [\"Series Instance UID\", ...]}");
        var uids = new List<string>();
        foreach (var item in array)
        {
            if (item is not JsonValue v || !v.TryGetValue<string>(out var uid) || !DicomUids.IsValid(uid))
                throw new DicomWebException(StatusCodes.Status400BadRequest, $"'{item?.ToJsonString()}' is not a Series Instance UID");
            if (!uids.Contains(uid, StringComparer.Ordinal)) uids.Add(uid);
        }
        if (uids.Count > SeriesListStore.MaxSeries) throw new DicomWebException(StatusCodes.Status400BadRequest, $"a list holds at most {SeriesListStore.MaxSeries} series");
        var description = o["description"] is JsonValue d && d.TryGetValue<string>(out var text) ? text : "";
        var found = VisibleSeries(service, RequestScope.From(context), uids, context.RequestAborted).Select(m => m.Entity.Key).ToHashSet(StringComparer.Ordinal);
        if (uids.FirstOrDefault(u => !found.Contains(u)) is { } missing)
            throw new DicomWebException(StatusCodes.Status400BadRequest, $"series {missing} not found ({uids.Count(u => !found.Contains(u))} of {uids.Count} not found)");
        var existing = service.Archive.Lists.Get(name);
        if (existing != null && existing.Owner != caller) throw new DicomWebException(StatusCodes.Status403Forbidden, $"list {name} belongs to {existing.Owner}");
        var now = DateTimeOffset.UtcNow;
        service.Archive.Lists.Save(new SeriesList(name, caller, description, uids, existing?.Created ?? now, now));
        service.Log.LogInformation("List {List} {Action} by {Caller}: {Count} series", name, existing == null ? "created" : "replaced", caller, uids.Count);
        context.Response.StatusCode = existing == null ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        context.Response.Headers.Location = $"/api/lists/{name}";
        await WriteJson(context, new JsonObject { ["name"] = name, ["seriesCount"] = uids.Count }).ConfigureAwait(false);
    }

    public Task DeleteAsync(HttpContext context)
    {
        var caller = Keeper(context);
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

    private static string Name(HttpContext context)
    {
        var name = DicomWebService.Route(context, "name") ?? "";
        return SeriesListStore.Problem(name) is { } why ? throw new DicomWebException(StatusCodes.Status400BadRequest, why) : name;
    }

    private SeriesList Existing(HttpContext context)
    {
        var name = Name(context);
        return service.Archive.Lists.Get(name) ?? throw new DicomWebException(StatusCodes.Status404NotFound, $"list {name} not found");
    }

    /// <summary>Who keeps a list: on a server with users, someone signed in (else 401); on an open one, anyone.</summary>
    private string Keeper(HttpContext context)
    {
        var caller = DicomWebCaller.Of(context);
        if (caller.User == null && service.Options.Access.Authenticate != null)
            throw new DicomWebException(StatusCodes.Status401Unauthorized, "sign in (HTTP Basic) to keep a list");
        return caller.Name;
    }

    private static async Task WriteJson(HttpContext context, JsonNode node)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(node.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }
}
