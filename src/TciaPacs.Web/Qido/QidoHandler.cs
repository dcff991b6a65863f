using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.Formats.Xml;

namespace TciaPacs.Web.Qido;

/// <summary>
/// QIDO-RS (PS3.18 10.6) on the six resources: query parameters become one <see cref="DicomQuery"/> for the archive's
/// query engine (the same matching as C-FIND), then each match is answered with the keys asked for, the default
/// attributes of its level (PS3.18 Table 10.6.3-3 to -5), <c>includefield</c>s and its RetrieveURL.
/// </summary>
internal sealed class QidoHandler(DicomWebService service)
{
    public async Task HandleAsync(HttpContext context, QueryLevel level)
    {
        var scope = RequestScope.From(context);
        var format = Negotiation.JsonOrXml(context.Request.Headers.Accept)
            ?? throw new DicomWebException(StatusCodes.Status406NotAcceptable, "QIDO-RS answers application/dicom+json or multipart/related; type=\"application/dicom+xml\"");
        var request = Parse(context, level, scope);
        var max = service.Options.MaxQueryResults;
        var limit = Math.Min(request.Limit ?? max, max);
        var query = request.Query with { Limit = limit + 1 };
        var matches = service.Archive.Query.Find(query, context.RequestAborted).ToList();
        if (matches.Count > limit)
        {
            matches.RemoveRange(limit, matches.Count - limit);
            // PS3.18 8.3.4.4 / 10.6.3.2: a Warning header when the results were cut by the limit.
            context.Response.Headers.Warning = $"299 tciapacs \"The number of results exceeded the maximum supported by the server ({limit}). Additional results can be requested with offset={query.Offset + limit}.\"";
        }
        var responses = matches.Select(m => Respond(m, level, request, scope)).ToList();
        if (format == "xml")
        {
            var writer = new MultipartWriter(context.Response, MediaTypes.DicomXml);
            foreach (var r in responses)
                await writer.WritePartAsync($"{MediaTypes.DicomXml}; charset=utf-8", Encoding.UTF8.GetBytes(DicomXml.Serialize(r)), cancellationToken: context.RequestAborted).ConfigureAwait(false);
            await writer.EndAsync(context.RequestAborted).ConfigureAwait(false);
            return;
        }
        context.Response.ContentType = MediaTypes.DicomJson;
        await DicomJson.SerializeArrayAsync(context.Response.Body, responses, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }

    internal sealed record QidoRequest(DicomQuery Query, int? Limit, bool IncludeAll);

    /// <summary>The query of a request: route UIDs and KEY=VALUE parameters as keys (PS3.18 8.3.4), the reserved parameters as options.</summary>
    internal static QidoRequest Parse(HttpContext context, QueryLevel level, RequestScope scope)
    {
        var parameters = new List<string>();
        var include = new List<string>();
        var fuzzy = false;
        int? limit = null;
        var offset = 0;
        foreach (var (name, values) in context.Request.Query)
        {
            foreach (var value in values.Select(v => v ?? ""))
            {
                switch (name.ToLowerInvariant())
                {
                    case "includefield":
                        include.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                        break;
                    case "fuzzymatching":
                        fuzzy = value.ToLowerInvariant() switch
                        {
                            "true" => true,
                            "false" => false,
                            _ => throw new QueryException($"fuzzymatching must be true or false, not '{value}'"),
                        };
                        break;
                    case "limit":
                        limit = NonNegative(name, value);
                        break;
                    case "offset":
                        offset = NonNegative(name, value);
                        break;
                    default:
                        if (name.Length == 0) throw new QueryException("a query parameter has no name");
                        parameters.Add($"{name}={value}");
                        break;
                }
            }
        }
        if (DicomWebService.Route(context, "study") is { } study) parameters.Add($"0020000D={study}");
        if (DicomWebService.Route(context, "series") is { } series) parameters.Add($"0020000E={series}");
        var keys = QueryKeyParser.ParseAll(parameters);
        var includeAll = false;
        foreach (var field in include)
        {
            if (field.Equals("all", StringComparison.OrdinalIgnoreCase)) { includeAll = true; continue; }
            var key = QueryKeyParser.Parse(field);
            if (!keys.Any(k => k.Tag == key.Tag)) keys.Add(key);
        }
        var query = new DicomQuery(level, keys) { FuzzyMatching = fuzzy, Offset = offset, Collections = scope.Collections };
        return new QidoRequest(query, limit, includeAll);
    }

    private static int NonNegative(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new QueryException($"{name} must be a non-negative integer, not '{value}'");

    /// <summary>
    /// Elements stored as UN whose tag the dictionary knows are given with the dictionary's VR (PS3.5 6.2.2: UN in an
    /// explicit VR file means the writer did not know it), so that clients get "Value", not "InlineBinary".
    /// </summary>
    private static DicomDataset WithDictionaryVRs(DicomDataset ds)
    {
        foreach (var e in ds.Where(e => e.VR == VR.UN && e is not DicomSequence).ToList())
        {
            var vr = DicomDictionary.Find(e.Tag)?.VR ?? VR.UN;
            if (vr != VR.UN && vr != VR.SQ && vr != VR.NONE) ds.Add(new DicomElement(e.Tag, vr, e.Buffer));
        }
        return ds;
    }

    private static DicomDataset Respond(QueryMatch match, QueryLevel level, QidoRequest request, RequestScope scope)
    {
        var response = match.Response;
        foreach (var tag in QidoDefaults.For(level))
            if (!response.Contains(tag) && match.Attributes.Get(tag) is { } e) response.Add(e);
        if (request.IncludeAll)
            foreach (var e in match.Attributes)
                if (!response.Contains(e.Tag)) response.Add(e);
        var study = match.Attributes.GetString(DicomTags.StudyInstanceUID);
        var series = match.Attributes.GetString(DicomTags.SeriesInstanceUID);
        var sop = match.Attributes.GetString(DicomTags.SOPInstanceUID);
        var url = level switch
        {
            QueryLevel.Study when study != null => scope.StudyUrl(study),
            QueryLevel.Series when study != null && series != null => scope.SeriesUrl(study, series),
            QueryLevel.Image when study != null && series != null && sop != null => scope.InstanceUrl(study, series, sop),
            _ => null,
        };
        if (url != null) response.AddOrUpdate(DicomTags.RetrieveURL, VR.UR, url);
        return WithDictionaryVRs(response);
    }
}
