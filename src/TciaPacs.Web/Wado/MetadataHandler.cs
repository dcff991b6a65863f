using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.Formats.Xml;

namespace TciaPacs.Web.Wado;

/// <summary>
/// WADO-RS metadata (PS3.18 10.4.1.1.2) of a study, series or instance: a JSON array of the instances' data sets with
/// bulk data as BulkDataURIs, served from the per-series documents with an ETag (304 on If-None-Match); or
/// <c>multipart/related; type="application/dicom+xml"</c>, one part per instance.
/// </summary>
internal sealed class MetadataHandler(DicomWebService service)
{
    private readonly MetadataDocuments _documents = new(service);

    public async Task HandleAsync(HttpContext context)
    {
        var scope = RequestScope.From(context);
        var format = Negotiation.JsonOrXml(context.Request.Headers.Accept)
            ?? throw new DicomWebException(StatusCodes.Status406NotAcceptable, "metadata is application/dicom+json or multipart/related; type=\"application/dicom+xml\"");
        var instances = service.FindRouteInstances(context, scope);
        var ct = context.RequestAborted;
        if (format == "xml")
        {
            var writer = new MultipartWriter(context.Response, MediaTypes.DicomXml);
            foreach (var e in instances)
            {
                var file = await DicomFile.OpenAsync(service.FullPath(e), cancellationToken: ct).ConfigureAwait(false);
                var json = _documents.JsonOptions(scope, e);
                var xml = DicomXml.Serialize(file.Dataset, new DicomXmlOptions { BulkDataThreshold = json.BulkDataThreshold, BulkDataUriFactory = json.BulkDataUriFactory });
                await writer.WritePartAsync($"{MediaTypes.DicomXml}; charset=utf-8", Encoding.UTF8.GetBytes(xml), cancellationToken: ct).ConfigureAwait(false);
            }
            await writer.EndAsync(ct).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = MediaTypes.DicomJson;
        if (DicomWebService.Route(context, "instance") != null)
        {
            var etag = MetadataDocuments.ETagOf(scope.BaseUrl, instances);
            if (NotModified(context, etag)) return;
            var file = await DicomFile.OpenAsync(service.FullPath(instances[0]), cancellationToken: ct).ConfigureAwait(false);
            await DicomJson.SerializeArrayAsync(context.Response.Body, [file.Dataset], _documents.JsonOptions(scope, instances[0]), ct).ConfigureAwait(false);
            return;
        }
        var documents = new List<(string Path, string ETag)>();
        foreach (var series in instances.GroupBy(e => e.SeriesInstanceUid).OrderBy(g => g.Key, StringComparer.Ordinal))
            documents.Add(await _documents.GetSeriesAsync(scope, series.Key, series.ToList(), ct).ConfigureAwait(false));
        var tag = documents.Count == 1 ? documents[0].ETag
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(string.Join(',', documents.Select(d => d.ETag)))))[..32];
        if (NotModified(context, tag)) return;
        if (documents.Count == 1)
        {
            await context.Response.SendFileAsync(documents[0].Path, ct).ConfigureAwait(false);
            return;
        }
        // A study: the series' arrays joined into one.
        var body = context.Response.Body;
        await body.WriteAsync("["u8.ToArray(), ct).ConfigureAwait(false);
        var first = true;
        foreach (var (path, _) in documents)
        {
            await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var inner = input.Length - 2;
            if (inner <= 0) continue;
            if (!first) await body.WriteAsync(","u8.ToArray(), ct).ConfigureAwait(false);
            first = false;
            input.Position = 1;
            await CopyAsync(input, body, inner, ct).ConfigureAwait(false);
        }
        await body.WriteAsync("]"u8.ToArray(), ct).ConfigureAwait(false);
    }

    /// <summary>Sets the ETag; answers 304 when the client already has it (RFC 9110 13.1.2).</summary>
    private static bool NotModified(HttpContext context, string etag)
    {
        var quoted = $"\"{etag}\"";
        context.Response.Headers.ETag = quoted;
        context.Response.Headers.CacheControl = "no-cache";
        var match = context.Request.Headers.IfNoneMatch.ToString();
        if (match.Length == 0 || !(match.Trim() == "*" || match.Split(',').Any(m => m.Trim().TrimStart('W', '/') == quoted))) return false;
        context.Response.StatusCode = StatusCodes.Status304NotModified;
        context.Response.ContentType = null;
        return true;
    }

    public static async Task CopyAsync(Stream input, Stream output, long count, CancellationToken ct)
    {
        var buffer = new byte[(int)Math.Min(1 << 16, Math.Max(count, 1))];
        while (count > 0)
        {
            var n = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct).ConfigureAwait(false);
            if (n == 0) throw new EndOfStreamException();
            await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            count -= n;
        }
    }
}
