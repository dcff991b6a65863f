using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using TciaPacs.Web.Lists;

namespace TciaPacs.Web.Curation;

/// <summary>
/// <c>GET /api/audit</c> (curators and the admin token): who retrieved what, from the access audit trail, for the
/// collections the curator sees. Parameters: <c>from</c> and <c>to</c> (UTC days, <c>YYYY-MM-DD</c>; default today),
/// <c>who</c>, <c>collection</c>, <c>study</c> (exact values), <c>limit</c> (default 1000, at most 100000).
/// </summary>
internal sealed class AuditHandler(DicomWebService service)
{
    public async Task GetAsync(HttpContext context)
    {
        var q = context.Request.Query;
        foreach (var name in q.Keys)
            if (name is not ("from" or "to" or "who" or "collection" or "study" or "limit"))
                throw Bad($"unknown parameter '{name}': the audit takes from, to, who, collection, study and limit");
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var from = Day(q["from"].ToString(), "from") ?? today;
        var to = Day(q["to"].ToString(), "to") ?? (q["from"].Count > 0 ? from : today);
        if (to < from) throw Bad($"to={to:yyyy-MM-dd} is before from={from:yyyy-MM-dd}");
        if (to.DayNumber - from.DayNumber > 366) throw Bad("at most 366 days at once: page by from and to");
        var limit = 1000;
        if (q["limit"].ToString() is { Length: > 0 } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100_000))
            throw Bad($"limit={text}: a number from 1 to 100000");
        string? who = q["who"].ToString() is { Length: > 0 } w ? w : null, collection = q["collection"].ToString() is { Length: > 0 } c ? c : null,
            study = q["study"].ToString() is { Length: > 0 } s ? s : null;
        var caller = DicomWebCaller.Of(context);
        await service.Archive.Audit.FlushAsync().ConfigureAwait(false);
        var events = service.Archive.Audit.Read(from, to, e => caller.Sees(e.Collection) && (who == null || e.Who == who)
            && (collection == null || e.Collection == collection) && (study == null || e.StudyInstanceUid == study), limit);
        await Kept.WriteJson(context, new JsonArray([.. events.Select(e => (JsonNode)new JsonObject
        {
            ["at"] = e.At.ToString("O", CultureInfo.InvariantCulture), ["who"] = e.Who, ["door"] = e.Door, ["action"] = e.Action,
            ["collection"] = e.Collection, ["study"] = e.StudyInstanceUid, ["series"] = e.SeriesInstanceUid, ["instances"] = e.Instances, ["remote"] = e.Remote,
        })])).ConfigureAwait(false);
    }

    private static DateOnly? Day(string text, string name) =>
        text.Length == 0 ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day
        : throw Bad($"{name}={text}: a day as YYYY-MM-DD");

    private static DicomWebException Bad(string why) => new(StatusCodes.Status400BadRequest, why);
}
