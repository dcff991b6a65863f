using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive.Lists;
using TciaPacs.Archive.Query;

namespace TciaPacs.Web.Lists;

/// <summary>
/// Saved queries (<c>/api/queries</c>): a QIDO-RS query kept under a name, so that a cohort's definition is run again as
/// data arrives, by its author or a colleague. <c>PUT /api/queries/{name}</c> with <c>{"description": "...", "level":
/// "studies"|"series"|"instances", "query": "Modality=CT&amp;StudyDate=20200101-"}</c>; <c>GET /api/queries</c>,
/// <c>GET /api/queries/{name}</c>, <c>DELETE /api/queries/{name}</c>; <c>GET /api/queries/{name}/results</c> runs it
/// as QIDO-RS would (DICOM JSON, the caller's own collections; <c>limit</c>, <c>offset</c> and <c>includefield</c> of
/// the request are added to the saved ones, and win over them).
/// </summary>
internal sealed class SavedQueriesHandler(DicomWebService service)
{
    private const long MaxBody = 64 << 10;

    private static readonly Dictionary<string, QueryLevel> Levels = new(StringComparer.Ordinal)
    {
        ["studies"] = QueryLevel.Study, ["series"] = QueryLevel.Series, ["instances"] = QueryLevel.Image,
    };

    /// <summary>The parameters of a request that page or shape a saved query's answer.</summary>
    private static readonly HashSet<string> Paging = new(StringComparer.Ordinal) { "limit", "offset", "includefield", "fuzzymatching" };

    public Task AllAsync(HttpContext context) =>
        Kept.WriteJson(context, new JsonArray([.. service.Archive.Queries.All().Select(q => (JsonNode)Json(q))]));

    public Task GetAsync(HttpContext context) => Kept.WriteJson(context, Json(Existing(context)));

    public async Task PutAsync(HttpContext context)
    {
        var name = Kept.Name<SavedQuery>(context);
        var caller = Kept.Keeper(service, context);
        var body = await Kept.ReadJsonAsync(context, MaxBody).ConfigureAwait(false);
        if (body is not JsonObject o || o["level"] is not JsonValue l || !l.TryGetValue<string>(out var level) || !Levels.ContainsKey(level)
            || o["query"] is not JsonValue q || !q.TryGetValue<string>(out var query))
            throw new DicomWebException(StatusCodes.Status400BadRequest, "the body is {\"description\": \"...\", \"level\": \"studies\"|\"series\"|\"instances\", \"query\": \"KEY=VALUE&...\"}");
        query = query.TrimStart('?');
        // Checked now as QIDO-RS will read it, so that a typo is found by its author rather than by the next reader.
        var parameters = QueryHelpers.ParseQuery("?" + query);
        if (parameters.Keys.FirstOrDefault(k => k.Length == 0) is not null) throw new DicomWebException(StatusCodes.Status400BadRequest, $"'{query}' is not a query string (KEY=VALUE&...)");
        var description = o["description"] is JsonValue d && d.TryGetValue<string>(out var text) ? text : "";
        var existing = service.Archive.Queries.Get(name);
        if (existing != null && existing.Owner != caller) throw new DicomWebException(StatusCodes.Status403Forbidden, $"query {name} belongs to {existing.Owner}");
        var now = DateTimeOffset.UtcNow;
        service.Archive.Queries.Save(name, new SavedQuery(name, caller, description, level, query, existing?.Created ?? now, now));
        service.Log.LogInformation("Query {Query} {Action} by {Caller}: {Level}?{Text}", name, existing == null ? "saved" : "replaced", caller, level, query);
        context.Response.StatusCode = existing == null ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        context.Response.Headers.Location = $"/api/queries/{name}";
        await Kept.WriteJson(context, Json(service.Archive.Queries.Get(name)!)).ConfigureAwait(false);
    }

    public Task DeleteAsync(HttpContext context)
    {
        var caller = Kept.Keeper(service, context);
        var query = Existing(context);
        if (query.Owner != caller) throw new DicomWebException(StatusCodes.Status403Forbidden, $"query {query.Name} belongs to {query.Owner}");
        service.Archive.Queries.Delete(query.Name);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    /// <summary>Runs the saved query through <paramref name="qido"/>, as if its query string had been the request's.</summary>
    public Task ResultsAsync(HttpContext context, Func<HttpContext, QueryLevel, Task> qido)
    {
        var saved = Existing(context);
        var request = context.Request.Query;
        var merged = QueryHelpers.ParseQuery("?" + saved.Query).Where(p => !(Paging.Contains(p.Key) && request.ContainsKey(p.Key)))
            .SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v)))
            .Concat(request.Where(p => Paging.Contains(p.Key)).SelectMany(p => p.Value.Select(v => KeyValuePair.Create(p.Key, v))));
        context.Request.QueryString = QueryString.Create(merged);
        return qido(context, Levels[saved.Level]);
    }

    private SavedQuery Existing(HttpContext context)
    {
        var name = Kept.Name<SavedQuery>(context);
        return service.Archive.Queries.Get(name) ?? throw new DicomWebException(StatusCodes.Status404NotFound, $"query {name} not found");
    }

    private static JsonObject Json(SavedQuery q) => new()
    {
        ["name"] = q.Name, ["owner"] = q.Owner, ["description"] = q.Description, ["level"] = q.Level, ["query"] = q.Query,
        ["created"] = q.Created.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        ["updated"] = q.Updated.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
    };
}
