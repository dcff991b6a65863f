using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive.Curation;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;
using TciaPacs.Web.Lists;

namespace TciaPacs.Web.Curation;

/// <summary>
/// What curators do over HTTP (<c>/api/curation</c>, signed-in users with Curate only): see what waits in the intake
/// collections (<c>GET intake</c>), move studies between collections (<c>POST move</c>: publishing out of intake,
/// withdrawing back into it, or between published collections), delete what they reject from intake
/// (<c>DELETE studies/{study}[/series/{series}]</c>) and read who did what (<c>GET log</c>). A curator
/// moves only studies of collections they see, into collections they see.
/// </summary>
internal sealed class CurationHandler(DicomWebService service)
{
    private const long MaxBody = 4 << 20;
    private const int MaxStudiesPerMove = 10_000;

    private CurationOptions Options => service.Archive.Curation.Options;

    /// <summary>
    /// <c>GET /api/curation/intake</c>: each intake collection the curator sees, where it publishes to, and its studies
    /// (patient, date, description, modalities, counts, when received).
    /// </summary>
    public Task IntakeAsync(HttpContext context)
    {
        var caller = DicomWebCaller.Of(context);
        var result = new JsonArray();
        foreach (var (intake, target) in Options.IntakeCollections.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            if (!caller.Sees(intake)) continue;
            var studies = new JsonArray();
            foreach (var m in Studies(new HashSet<string>(StringComparer.Ordinal) { intake }, null, context.RequestAborted))
            {
                studies.Add(new JsonObject
                {
                    ["study"] = m.Entity.Key,
                    ["patientId"] = Text(m.Entity.Patient, DicomTags.PatientID),
                    ["patientName"] = Text(m.Entity.Patient, DicomTags.PatientName),
                    ["studyDate"] = Text(m.Entity.Study, DicomTags.StudyDate),
                    ["studyDescription"] = Text(m.Entity.Study, DicomTags.StudyDescription),
                    ["modalities"] = new JsonArray([.. (m.Entity.Counts.ModalitiesInStudy ?? []).Select(v => (JsonNode)v)]),
                    ["series"] = m.Entity.Counts.RelatedSeries,
                    ["instances"] = m.Entity.Counts.RelatedInstances,
                });
            }
            result.Add(new JsonObject { ["collection"] = intake, ["publishTo"] = target is { Length: > 0 } ? target : null, ["studies"] = studies });
        }
        return Kept.WriteJson(context, result);
    }

    /// <summary>
    /// <c>POST /api/curation/move</c> with <c>{"studies": [UIDs]}</c>, <c>{"patients": [Patient IDs], "from": C}</c> or
    /// <c>{"from": C}</c> (every study of C), and <c>"to"</c> (optional when each study's collection is an intake
    /// collection that publishes somewhere). A collection that holds nothing yet is taken only with
    /// <c>"newCollection": true</c>, so that a misspelt name does not make one. Answers each study's outcome.
    /// </summary>
    public async Task MoveAsync(HttpContext context)
    {
        var caller = DicomWebCaller.Of(context);
        var body = await Kept.ReadJsonAsync(context, MaxBody).ConfigureAwait(false) as JsonObject
            ?? throw Bad("the body is a JSON object: {\"studies\": [UIDs]} or {\"from\": collection, \"patients\": [IDs]}, with \"to\": collection");
        foreach (var (name, _) in body)
            if (name is not ("studies" or "patients" or "from" or "to" or "newCollection"))
                throw Bad($"unknown member '{name}': a move takes studies, patients, from, to and newCollection");
        var from = Collection(body, "from");
        var to = Collection(body, "to");
        var studies = Strings(body, "studies");
        var patients = Strings(body, "patients");
        if (studies == null && patients == null && from == null) throw Bad("name the studies to move: \"studies\", \"patients\" (with \"from\") or \"from\" alone");
        if (studies != null && patients != null) throw Bad("name studies or patients, not both");
        if (from != null && !caller.Sees(from)) throw new DicomWebException(StatusCodes.Status403Forbidden, $"{caller.Name} may not see collection {from}");
        if (studies?.FirstOrDefault(u => !DicomUids.IsValid(u)) is { } badUid) throw Bad($"'{badUid}' is not a Study Instance UID");
        var newCollection = body["newCollection"] is JsonValue nv && nv.TryGetValue<bool>(out var b) && b;
        if (to != null)
        {
            if (!caller.Sees(to)) throw new DicomWebException(StatusCodes.Status403Forbidden, $"{caller.Name} may not see collection {to}");
            if (!newCollection && !service.Archive.CollectionNames.Contains(to, StringComparer.Ordinal) && !Options.IntakeCollections.Values.Contains(to) && !Options.IsIntake(to))
                throw Bad($"collection '{to}' holds nothing yet: check its name, or send \"newCollection\": true to start it");
        }

        // The studies, found within what the curator sees (and "from"): one not found is reported, not guessed at.
        IReadOnlySet<string>? scope = from != null ? new HashSet<string>(StringComparer.Ordinal) { from } : caller.Visible;
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        var notFound = new List<string>();
        if (studies != null)
        {
            foreach (var uid in studies.Distinct(StringComparer.Ordinal))
            {
                var collection = service.Archive.Catalog.CollectionOfStudy(uid);
                if (collection != null && (scope == null || scope.Contains(collection))) found[uid] = collection;
                else notFound.Add(uid);
            }
        }
        else
        {
            foreach (var patient in (IEnumerable<string?>?)patients ?? [null])
            {
                var before = found.Count;
                foreach (var m in Studies(scope, patient, context.RequestAborted)) found.TryAdd(m.Entity.Key, m.Entity.Collection);
                if (patient != null && found.Count == before) notFound.Add(patient);
            }
        }
        if (found.Count > MaxStudiesPerMove) throw Bad($"{found.Count} studies are more than {MaxStudiesPerMove} in one move: move them in parts");
        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (uid, collection) in found)
        {
            targets[uid] = to ?? Options.PublishTargetOf(collection)
                ?? throw Bad($"study {uid} is in {collection}, which {(Options.IsIntake(collection) ? "publishes nowhere by default" : "is not an intake collection")}: name the collection with \"to\"");
            if (!caller.Sees(targets[uid])) throw new DicomWebException(StatusCodes.Status403Forbidden, $"{caller.Name} may not see collection {targets[uid]}");
        }

        var outcomes = new JsonArray();
        int moved = 0, instances = 0;
        foreach (var (uid, target) in targets)
        {
            // Not cancelled by a client that hangs up: each study is moved whole or not begun.
            var move = await service.Archive.MoveStudyAsync(uid, target, caller.Name, CancellationToken.None).ConfigureAwait(false);
            if (move.Outcome == MoveOutcome.NotFound) notFound.Add(uid);
            else outcomes.Add(new JsonObject
            {
                ["study"] = uid, ["from"] = move.From, ["to"] = move.To, ["instances"] = move.Instances,
                ["outcome"] = move.Outcome == MoveOutcome.Moved ? "moved" : "unchanged",
            });
            if (move.Outcome == MoveOutcome.Moved) { moved++; instances += move.Instances; }
        }
        service.Log.LogInformation("Curation: {User} moved {Studies} studies ({Instances} instances); {Unchanged} already there, {NotFound} not found",
            caller.Name, moved, instances, outcomes.Count - moved, notFound.Count);
        context.Response.StatusCode = outcomes.Count == 0 && notFound.Count > 0 ? StatusCodes.Status404NotFound : StatusCodes.Status200OK;
        await Kept.WriteJson(context, new JsonObject
        {
            ["moved"] = moved, ["instances"] = instances, ["studies"] = outcomes,
            ["notFound"] = new JsonArray([.. notFound.Select(n => (JsonNode)n)]),
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>DELETE /api/curation/studies/{study}[/series/{series}]</c>: a curator rejects a study or series waiting in
    /// intake; 409 for published data (withdraw it into intake first, a move the log keeps), 404 for one not seen.
    /// </summary>
    public async Task DeleteAsync(HttpContext context)
    {
        var caller = DicomWebCaller.Of(context);
        var study = DicomWebService.Route(context, "study") ?? "";
        var series = DicomWebService.Route(context, "series");
        if (!DicomUids.IsValid(study) || (series != null && !DicomUids.IsValid(series))) throw Bad("the study and series are named by their UIDs");
        var collection = service.Archive.Catalog.CollectionOfStudy(study);
        if (collection == null || !caller.Sees(collection)) throw new DicomWebException(StatusCodes.Status404NotFound, $"study {study} not found");
        var deletion = await service.Archive.RejectAsync(study, series, caller.Name, CancellationToken.None).ConfigureAwait(false);
        switch (deletion.Outcome)
        {
            case DeletionOutcome.NotFound:
                throw new DicomWebException(StatusCodes.Status404NotFound, series == null ? $"study {study} not found" : $"series {series} of study {study} not found");
            case DeletionOutcome.NotInIntake:
                throw new DicomWebException(StatusCodes.Status409Conflict,
                    $"study {study} is in {deletion.Collection}, not in an intake collection: move it into intake first (POST /api/curation/move with \"to\"), then delete it");
        }
        await Kept.WriteJson(context, new JsonObject
        {
            ["study"] = study, ["series"] = series, ["collection"] = deletion.Collection, ["instances"] = deletion.Instances, ["outcome"] = "deleted",
        }).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/curation/log[?last=N]</c>: the last N moves (default 100), oldest first.</summary>
    public Task LogAsync(HttpContext context)
    {
        var last = 100;
        if (context.Request.Query["last"].ToString() is { Length: > 0 } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out last) || last is < 1 or > 100_000))
            throw Bad($"last={text}: a number of entries from 1 to 100000");
        var caller = DicomWebCaller.Of(context);
        var entries = service.Archive.Curation.Log(last).Where(e => caller.Sees(e.From) || caller.Sees(e.To)).Select(e => (JsonNode)new JsonObject
        {
            ["at"] = e.At.ToString("O", CultureInfo.InvariantCulture), ["who"] = e.Who, ["action"] = e.Action, ["study"] = e.StudyInstanceUid,
            ["series"] = e.SeriesInstanceUid, ["from"] = e.From, ["to"] = e.To, ["instances"] = e.Instances,
        });
        return Kept.WriteJson(context, new JsonArray([.. entries]));
    }

    private IEnumerable<QueryMatch> Studies(IReadOnlySet<string>? collections, string? patientId, CancellationToken cancellationToken)
    {
        var keys = new List<QueryKey>
        {
            QueryKey.Create(DicomTags.PatientID, VR.LO, patientId ?? ""),
            QueryKey.Create(DicomTags.PatientName, VR.PN, ""),
            QueryKey.Create(DicomTags.StudyDate, VR.DA, ""),
            QueryKey.Create(DicomTags.StudyDescription, VR.LO, ""),
            QueryKey.Create(DicomTags.ModalitiesInStudy, VR.CS, ""),
            QueryKey.Create(DicomTags.NumberOfStudyRelatedSeries, VR.IS, ""),
            QueryKey.Create(DicomTags.NumberOfStudyRelatedInstances, VR.IS, ""),
        };
        return service.Archive.Query.Find(new DicomQuery(QueryLevel.Study, keys) { Collections = collections }, cancellationToken);
    }

    private static string? Text(DicomDataset? ds, DicomTag tag) => ds?.GetString(tag)?.Trim('\0', ' ') is { Length: > 0 } v ? v : null;

    private static DicomWebException Bad(string why) => new(StatusCodes.Status400BadRequest, why);

    /// <summary>A collection named in the body: 1 to 64 characters, none of them control characters, not padded.</summary>
    private static string? Collection(JsonObject body, string member)
    {
        if (body[member] is null) return null;
        if (body[member] is not JsonValue v || !v.TryGetValue<string>(out var name) || name.Length is 0 or > 64 || name.Any(char.IsControl) || name.Trim() != name)
            throw Bad($"\"{member}\" is a collection name: 1 to 64 characters, no control characters, no leading or trailing spaces");
        return name;
    }

    private static List<string>? Strings(JsonObject body, string member)
    {
        if (body[member] is null) return null;
        if (body[member] is not JsonArray array || array.Count == 0) throw Bad($"\"{member}\" is a non-empty array of strings");
        var values = new List<string>();
        foreach (var item in array)
        {
            if (item is not JsonValue v || !v.TryGetValue<string>(out var s) || s.Length == 0) throw Bad($"\"{member}\" holds '{item?.ToJsonString()}', not a string");
            values.Add(s);
        }
        return values;
    }
}
