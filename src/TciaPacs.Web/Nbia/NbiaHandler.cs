using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Web.Nbia;

/// <summary>
/// TCIA's NBIA Search REST API (the <c>/nbia-api/services/v1</c> endpoints TCIA's own scripts, tcia_utils and 3D
/// Slicer's TCIA Browser call), answered from the archive: collections, patients, studies and series with TCIA's
/// parameter and field names, the size and SOP Instance UIDs of a series, a series as a zip of its files, one file.
/// JSON by default, CSV with <c>format=csv</c>. What the caller sees is what DICOMweb shows it (<see cref="RequestScope"/>):
/// <c>v2</c> is the same service for callers who sign in (HTTP Basic here, where TCIA issues OAuth tokens).
/// </summary>
internal sealed class NbiaHandler(DicomWebService service)
{
    private static readonly DicomTag NumberOfSeriesRelatedInstances = new(0x00201209);
    private static readonly DicomTag NumberOfStudyRelatedSeries = new(0x00201206);

    /// <summary>The endpoints, each with what it needs (Query or Retrieve).</summary>
    public IEnumerable<(string Name, Func<HttpContext, Task> Handle, DicomWebOperation Operation)> Endpoints =>
    [
        ("getCollectionValues", c => Values(c, null, "Collection", []), DicomWebOperation.Query),
        ("getModalityValues", c => Values(c, DicomTags.Modality, "Modality", ["Collection", "BodyPartExamined"]), DicomWebOperation.Query),
        ("getBodyPartValues", c => Values(c, DicomTags.BodyPartExamined, "BodyPartExamined", ["Collection", "Modality"]), DicomWebOperation.Query),
        ("getManufacturerValues", c => Values(c, DicomTags.Manufacturer, "Manufacturer", ["Collection", "Modality", "BodyPartExamined"]), DicomWebOperation.Query),
        ("getPatient", Patients, DicomWebOperation.Query),
        ("getPatientStudy", Studies, DicomWebOperation.Query),
        ("getSeries", Series, DicomWebOperation.Query),
        ("getSeriesSize", SeriesSize, DicomWebOperation.Query),
        ("getSOPInstanceUIDs", SopInstanceUids, DicomWebOperation.Query),
        ("getImage", Image, DicomWebOperation.Retrieve),
        ("getSingleImage", SingleImage, DicomWebOperation.Retrieve),
        ("getContentsByName", ListContents, DicomWebOperation.Query),
        ("getCollectionDescriptions", CollectionDescriptions, DicomWebOperation.Query),
        ("getSeriesMetaData", SeriesMetadata, DicomWebOperation.Query),
    ];

    /// <summary>The series-level filters of TCIA's parameters (exact values; DICOM wildcards work too).</summary>
    private static readonly (string Parameter, DicomTag Tag)[] SeriesFilters =
    [
        ("PatientID", DicomTags.PatientID), ("StudyInstanceUID", DicomTags.StudyInstanceUID), ("SeriesInstanceUID", DicomTags.SeriesInstanceUID),
        ("Modality", DicomTags.Modality), ("BodyPartExamined", DicomTags.BodyPartExamined), ("Manufacturer", DicomTags.Manufacturer),
        ("ManufacturerModelName", DicomTags.ManufacturerModelName),
    ];

    /// <summary>The entities at <paramref name="level"/> the caller sees, matched on the parameters of <paramref name="allowed"/> present in the request.</summary>
    private List<QueryMatch> Find(HttpContext context, QueryLevel level, IEnumerable<string> allowed, params DicomTag[] returned)
    {
        var q = context.Request.Query;
        var allowedSet = allowed.ToHashSet(StringComparer.Ordinal);
        foreach (var name in q.Keys)
            if (!allowedSet.Contains(name) && name is not ("format" or "Collection" or "NewFileNames"))
                throw new DicomWebException(StatusCodes.Status400BadRequest, $"unknown parameter '{name}': this endpoint takes {string.Join(", ", allowedSet.Prepend("Collection").Distinct())} and format");
        var keys = new List<QueryKey>();
        foreach (var (parameter, tag) in SeriesFilters)
        {
            if (!allowedSet.Contains(parameter) || q[parameter].ToString() is not { Length: > 0 } value) continue;
            keys.Add(QueryKey.Create(tag, DicomDictionary.ImpliedVR(tag), value));
        }
        keys.AddRange(returned.Where(t => keys.All(k => k.Tag != t)).Select(t => QueryKey.Create(t, DicomDictionary.ImpliedVR(t), "")));
        var scope = RequestScope.From(context);
        var collections = scope.Collections;
        if (q["Collection"].ToString() is { Length: > 0 } collection)
            collections = scope.Sees(collection) ? new HashSet<string>(StringComparer.Ordinal) { collection } : new HashSet<string>(StringComparer.Ordinal);
        var query = new DicomQuery(level, keys) { Collections = collections };
        return service.Archive.Query.Find(query, context.RequestAborted).ToList();
    }

    private static string? Text(DicomDataset? ds, DicomTag tag) => ds?.GetString(tag)?.Trim('\0', ' ') is { Length: > 0 } v ? v : null;

    private static string? Date(DicomDataset? ds, DicomTag tag) =>
        Text(ds, tag) is { Length: 8 } d && DateOnly.TryParseExact(d, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : Text(ds, tag);

    private Task Values(HttpContext context, DicomTag? tag, string field, string[] filters)
    {
        IEnumerable<string?> values = tag == null
            ? Find(context, QueryLevel.Study, filters).Select(m => (string?)m.Entity.Collection)
            : Find(context, QueryLevel.Series, filters, tag.Value).Select(m => Text(m.Entity.Series, tag.Value));
        var rows = values.OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(v => new Row { [field] = v });
        return Write(context, rows);
    }

    private Task Patients(HttpContext context)
    {
        var rows = Find(context, QueryLevel.Study, [], DicomTags.PatientSex)
            .GroupBy(m => (m.Entity.Collection, Id: Text(m.Entity.Patient, DicomTags.PatientID) ?? ""))
            .OrderBy(g => g.Key.Collection, StringComparer.Ordinal).ThenBy(g => g.Key.Id, StringComparer.Ordinal)
            .Select(g =>
            {
                var patient = g.First().Entity.Patient;
                return new Row
                {
                    ["PatientId"] = g.Key.Id, ["PatientName"] = Text(patient, DicomTags.PatientName),
                    ["PatientSex"] = Text(patient, DicomTags.PatientSex), ["Collection"] = g.Key.Collection,
                };
            });
        return Write(context, rows);
    }

    private Task Studies(HttpContext context)
    {
        var rows = Find(context, QueryLevel.Study, ["PatientID", "StudyInstanceUID"], NumberOfStudyRelatedSeries)
            .OrderBy(m => m.Entity.Collection, StringComparer.Ordinal).ThenBy(m => Text(m.Entity.Patient, DicomTags.PatientID), StringComparer.Ordinal)
            .ThenBy(m => m.Entity.Key, StringComparer.Ordinal)
            .Select(m => new Row
            {
                ["StudyInstanceUID"] = m.Entity.Key, ["StudyDate"] = Date(m.Entity.Study, DicomTags.StudyDate),
                ["StudyDescription"] = Text(m.Entity.Study, DicomTags.StudyDescription), ["StudyID"] = Text(m.Entity.Study, DicomTags.StudyID),
                ["PatientAge"] = Text(m.Entity.Study, DicomTags.PatientAge), ["PatientID"] = Text(m.Entity.Patient, DicomTags.PatientID),
                ["PatientName"] = Text(m.Entity.Patient, DicomTags.PatientName), ["PatientSex"] = Text(m.Entity.Patient, DicomTags.PatientSex),
                ["Collection"] = m.Entity.Collection, ["SeriesCount"] = m.Entity.Counts.RelatedSeries,
            });
        return Write(context, rows);
    }

    private Task Series(HttpContext context) =>
        Write(context, SeriesRows(Find(context, QueryLevel.Series, SeriesFilters.Select(f => f.Parameter), NumberOfSeriesRelatedInstances)));

    /// <summary>
    /// getContentsByName: the series of a shared list (<c>name</c>, as <c>/api/lists</c> keeps them; TCIA's shared
    /// carts), as getSeries gives them, those the caller sees.
    /// </summary>
    private Task ListContents(HttpContext context)
    {
        if (context.Request.Query["name"].ToString() is not { Length: > 0 } name)
            throw new DicomWebException(StatusCodes.Status400BadRequest, "name is required");
        if (Archive.Lists.NamedDocumentStore<Archive.Lists.SeriesList>.Problem(name) is { } problem) throw new DicomWebException(StatusCodes.Status400BadRequest, problem);
        var list = service.Archive.Lists.Get(name) ?? throw new DicomWebException(StatusCodes.Status404NotFound, $"list {name} not found");
        return Write(context, SeriesRows(Lists.ListsHandler.VisibleSeries(service, RequestScope.From(context), list.SeriesInstanceUids, context.RequestAborted)));
    }

    private IEnumerable<Row> SeriesRows(IEnumerable<QueryMatch> matches) =>
        matches
            .OrderBy(m => m.Entity.Collection, StringComparer.Ordinal).ThenBy(m => Text(m.Entity.Patient, DicomTags.PatientID), StringComparer.Ordinal)
            .ThenBy(m => Text(m.Entity.Study, DicomTags.StudyInstanceUID), StringComparer.Ordinal).ThenBy(m => m.Entity.Key, StringComparer.Ordinal)
            .Select(m =>
            {
                // The catalog's series row counts its instances and bytes; a row without them (another catalog) reads the files' list.
                var files = m.Entity.Counts is { RelatedInstances: not null, Size: not null } ? null
                    : service.Archive.Catalog.InstanceFiles(Text(m.Entity.Study, DicomTags.StudyInstanceUID) ?? "", m.Entity.Key).ToList();
                return new Row
                {
                    ["SeriesInstanceUID"] = m.Entity.Key, ["StudyInstanceUID"] = Text(m.Entity.Study, DicomTags.StudyInstanceUID),
                    ["Modality"] = Text(m.Entity.Series, DicomTags.Modality), ["ProtocolName"] = Text(m.Entity.Series, DicomTags.ProtocolName),
                    ["SeriesDate"] = Date(m.Entity.Series, DicomTags.SeriesDate), ["SeriesDescription"] = Text(m.Entity.Series, DicomTags.SeriesDescription),
                    ["BodyPartExamined"] = Text(m.Entity.Series, DicomTags.BodyPartExamined), ["SeriesNumber"] = Text(m.Entity.Series, DicomTags.SeriesNumber),
                    ["Collection"] = m.Entity.Collection, ["PatientID"] = Text(m.Entity.Patient, DicomTags.PatientID),
                    ["Manufacturer"] = Text(m.Entity.Series, DicomTags.Manufacturer), ["ManufacturerModelName"] = Text(m.Entity.Series, DicomTags.ManufacturerModelName),
                    ["SoftwareVersions"] = Text(m.Entity.Series, DicomTags.SoftwareVersions),
                    ["ImageCount"] = files?.Count ?? m.Entity.Counts.RelatedInstances,
                    ["FileSize"] = files?.Sum(f => f.Size >= 0 ? f.Size : new FileInfo(service.FullPath(f)).Length) ?? m.Entity.Counts.Size,
                    ["StudyDate"] = Date(m.Entity.Study, DicomTags.StudyDate), ["StudyDesc"] = Text(m.Entity.Study, DicomTags.StudyDescription),
                };
            });

    /// <summary>
    /// getCollectionDescriptions: what curators said of the collections the caller sees (<c>collectionName</c> for one),
    /// with NBIA's field names.
    /// </summary>
    private Task CollectionDescriptions(HttpContext context)
    {
        OnlyParameters(context, "collectionName");
        var name = context.Request.Query["collectionName"].ToString();
        var scope = RequestScope.From(context);
        var rows = service.Archive.Descriptions.All()
            .Where(d => (name.Length == 0 || d.Collection == name) && scope.Sees(d.Collection))
            .Select(d => new Row
            {
                ["collectionName"] = d.Collection, ["description"] = d.Description, ["descriptionURI"] = d.DescriptionUri,
                ["collectionDescTimestamp"] = d.Updated.ToUnixTimeMilliseconds(), ["userName"] = d.UpdatedBy,
            });
        return Write(context, rows);
    }

    /// <summary>
    /// getSeriesMetaData: one series with NBIA's fields, its collection's DOI and licence (from its description), the
    /// bytes of its annotations.
    /// </summary>
    private Task SeriesMetadata(HttpContext context)
    {
        OnlyParameters(context, "SeriesInstanceUID");
        var files = SeriesFiles(context);
        var uid = context.Request.Query["SeriesInstanceUID"].ToString();
        var series = Find(context, QueryLevel.Series, ["SeriesInstanceUID"], DicomTags.SeriesDescription, DicomTags.Manufacturer, DicomTags.SeriesNumber).First().Entity;
        var description = service.Archive.Descriptions.Get(series.Collection);
        var study = Text(series.Study, DicomTags.StudyInstanceUID);
        var patient = Text(series.Patient, DicomTags.PatientID);
        return Write(context, [new Row
        {
            ["Series UID"] = uid, ["Collection"] = series.Collection, ["3rd Party Analysis"] = "NO",
            ["Data Description URI"] = description?.DescriptionUri, ["Subject ID"] = patient, ["Study UID"] = study,
            ["Study Description"] = Text(series.Study, DicomTags.StudyDescription), ["Study Date"] = Date(series.Study, DicomTags.StudyDate),
            ["Series Description"] = Text(series.Series, DicomTags.SeriesDescription), ["Manufacturer"] = Text(series.Series, DicomTags.Manufacturer),
            ["Modality"] = Text(series.Series, DicomTags.Modality), ["SOP Class UID"] = files.FirstOrDefault()?.SopClassUid,
            ["Number of Images"] = files.Count, ["File Size"] = files.Sum(f => f.Size >= 0 ? f.Size : new FileInfo(service.FullPath(f)).Length),
            ["File Location"] = $"./{series.Collection}/{patient}/{study}/{uid}", ["Series Number"] = Text(series.Series, DicomTags.SeriesNumber),
            ["License Name"] = description?.LicenseName, ["License URL"] = description?.LicenseUrl,
            ["Annotation Size"] = service.Archive.Annotations.List(uid).Sum(a => a.Size),
        }]);
    }

    /// <summary>400 for a parameter the endpoint does not take (a misspelt one would otherwise be ignored).</summary>
    private static void OnlyParameters(HttpContext context, params string[] allowed)
    {
        foreach (var name in context.Request.Query.Keys)
            if (name != "format" && !allowed.Contains(name, StringComparer.Ordinal))
                throw new DicomWebException(StatusCodes.Status400BadRequest, $"unknown parameter '{name}': this endpoint takes {string.Join(", ", allowed)} and format");
    }

    /// <summary>The files of the series named by the request's SeriesInstanceUID (required) that the caller sees, in SOP Instance UID order.</summary>
    private List<InstanceFile> SeriesFiles(HttpContext context)
    {
        if (context.Request.Query["SeriesInstanceUID"].ToString() is not { Length: > 0 } uid)
            throw new DicomWebException(StatusCodes.Status400BadRequest, "SeriesInstanceUID is required");
        var series = Find(context, QueryLevel.Series, ["SeriesInstanceUID", "SOPInstanceUID"]).FirstOrDefault()
            ?? throw new DicomWebException(StatusCodes.Status404NotFound, $"series {uid} not found");
        return service.FindInstances(RequestScope.From(context), Text(series.Entity.Study, DicomTags.StudyInstanceUID) ?? "", uid, null, context.RequestAborted);
    }

    private Task SeriesSize(HttpContext context)
    {
        var files = SeriesFiles(context);
        var bytes = files.Sum(f => f.Size >= 0 ? f.Size : new FileInfo(service.FullPath(f)).Length);
        return Write(context, [new Row { ["TotalSizeInBytes"] = bytes.ToString("0.0", CultureInfo.InvariantCulture), ["ObjectCount"] = files.Count }]);
    }

    private Task SopInstanceUids(HttpContext context) =>
        Write(context, SeriesFiles(context).Select(f => new Row { ["SOPInstanceUID"] = f.SopInstanceUid }));

    /// <summary>
    /// The series as a zip of its Part 10 files, written as it is read (deflated on the way, one file at a time, never
    /// the whole series in memory): each named by its SOP Instance UID, or with <c>NewFileNames=Yes</c> by its place.
    /// </summary>
    private async Task Image(HttpContext context)
    {
        var files = SeriesFiles(context);
        var numbered = string.Equals(context.Request.Query["NewFileNames"], "Yes", StringComparison.OrdinalIgnoreCase);
        var uid = context.Request.Query["SeriesInstanceUID"].ToString();
        context.Response.ContentType = "application/zip";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{uid}.zip\"";
        // ZipArchive writes synchronously: on a thread-pool thread, with synchronous writes allowed for this response.
        if (context.Features.Get<IHttpBodyControlFeature>() is { } body) body.AllowSynchronousIO = true;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Run(() =>
        {
            using var zip = new ZipArchive(context.Response.Body, ZipArchiveMode.Create, leaveOpen: true);
            for (var i = 0; i < files.Count; i++)
            {
                context.RequestAborted.ThrowIfCancellationRequested();
                var name = numbered ? $"1-{i + 1:000}.dcm" : $"{files[i].SopInstanceUid}.dcm";
                using var entry = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
                using var file = File.OpenRead(service.FullPath(files[i]));
                file.CopyTo(entry);
            }
        }, context.RequestAborted).ConfigureAwait(false);
        service.Log.LogInformation("NBIA getImage: series {Series}, {Count} files zipped for {Caller} in {Elapsed:F0} ms", uid, files.Count, DicomWebCaller.Of(context).Name, clock.Elapsed.TotalMilliseconds);
    }

    private async Task SingleImage(HttpContext context)
    {
        if (context.Request.Query["SOPInstanceUID"].ToString() is not { Length: > 0 } sop)
            throw new DicomWebException(StatusCodes.Status400BadRequest, "SOPInstanceUID is required");
        var file = SeriesFiles(context).FirstOrDefault(f => f.SopInstanceUid == sop)
            ?? throw new DicomWebException(StatusCodes.Status404NotFound, $"instance {sop} not found in the series");
        context.Response.ContentType = "application/dicom";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{sop}.dcm\"";
        await context.Response.SendFileAsync(service.FullPath(file), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A result row: TCIA's field names in its order; a field without a value is left out, as NBIA leaves it out.</summary>
    private sealed class Row : Dictionary<string, object?>
    {
        public Row() : base(StringComparer.Ordinal) { }
    }

    /// <summary>The rows as a JSON array (the default) or CSV (<c>format=csv</c>: a header of every field that occurs).</summary>
    private static async Task Write(HttpContext context, IEnumerable<Row> rows)
    {
        var list = rows.Select(r => r.Where(p => p.Value != null).ToList()).ToList();
        var format = context.Request.Query["format"].ToString().ToLowerInvariant();
        if (format is "csv")
        {
            var fields = list.SelectMany(r => r.Select(p => p.Key)).Distinct(StringComparer.Ordinal).ToList();
            var csv = new StringBuilder();
            csv.AppendJoin(',', fields.Select(Csv)).Append("\r\n");
            foreach (var row in list)
            {
                var values = row.ToDictionary(p => p.Key, p => Convert.ToString(p.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
                csv.AppendJoin(',', fields.Select(f => Csv(values.GetValueOrDefault(f) ?? ""))).Append("\r\n");
            }
            context.Response.ContentType = "text/csv; charset=utf-8";
            await context.Response.WriteAsync(csv.ToString(), Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (format is not ("" or "json"))
            throw new DicomWebException(StatusCodes.Status400BadRequest, $"format={format} is not served: json (the default) or csv");
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartArray();
        foreach (var row in list)
        {
            json.WriteStartObject();
            foreach (var (key, value) in row)
            {
                if (value is int or long) json.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                else json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>RFC 4180: a field with a comma, quote or line break in quotes, its quotes doubled.</summary>
    private static string Csv(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}
