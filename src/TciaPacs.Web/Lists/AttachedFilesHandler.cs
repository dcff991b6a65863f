using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive.Lists;

namespace TciaPacs.Web.Lists;

/// <summary>
/// Files attached to a collection or a series, kept as given: a collection's clinical (non-image) data
/// (<c>/api/collections/{collection}/clinical</c>), as TCIA publishes it beside the images, and a series' annotations
/// (<c>/api/series/{series}/annotations</c>: a reader study's XML or JSON). <c>GET</c> lists the files (name, size,
/// updated), <c>GET …/{name}</c> gives one as it was put, <c>PUT …/{name}</c> (the body: the file, streamed to disk) and
/// <c>DELETE …/{name}</c> change them. Reading needs Retrieve where the owner's images are seen, writing needs Store
/// there (<see cref="DicomWebService"/> checks the operation and a collection named in the route; a series is found
/// within the caller's collections).
/// </summary>
internal sealed class AttachedFilesHandler(DicomWebService service, AttachedFileStore store, string kind, Func<HttpContext, string> owner)
{
    /// <summary>The largest file accepted (a trial's spreadsheets or a series' annotations are megabytes, not gigabytes).</summary>
    private const long MaxBytes = 256L << 20;

    /// <summary>A collection's clinical data: the route's collection (checked by the service).</summary>
    public static AttachedFilesHandler Clinical(DicomWebService service) => new(service, service.Archive.Clinical, "clinical data", context =>
    {
        var collection = DicomWebService.Route(context, "collection") ?? "";
        return NamedDocumentStore<AttachedFile>.Problem(collection) is null ? collection : throw new DicomWebException(StatusCodes.Status400BadRequest, $"'{collection}' is not a collection name this API serves");
    });

    /// <summary>A series' annotations: the route's series, stored and seen by the caller (else 404, as for its images).</summary>
    public static AttachedFilesHandler Annotations(DicomWebService service) => new(service, service.Archive.Annotations, "annotation", context =>
    {
        var series = DicomWebService.Route(context, "series") ?? "";
        if (!Dicom.DicomUids.IsValid(series)) throw new DicomWebException(StatusCodes.Status400BadRequest, $"'{series}' is not a Series Instance UID");
        if (ListsHandler.VisibleSeries(service, RequestScope.From(context), [series], context.RequestAborted).Count == 0)
            throw new DicomWebException(StatusCodes.Status404NotFound, $"series {series} not found");
        return series;
    });

    private static string FileName(HttpContext context)
    {
        var name = DicomWebService.Route(context, "name") ?? "";
        return NamedDocumentStore<AttachedFile>.Problem(name) is { } why ? throw new DicomWebException(StatusCodes.Status400BadRequest, why) : name;
    }

    public Task ListAsync(HttpContext context) =>
        Kept.WriteJson(context, new JsonArray([.. store.List(owner(context)).Select(f => (JsonNode)new JsonObject
        {
            ["name"] = f.Name, ["size"] = f.Size, ["updated"] = f.Updated.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        })]));

    public async Task GetAsync(HttpContext context)
    {
        var (key, name) = (owner(context), FileName(context));
        var path = store.Find(key, name) ?? throw new DicomWebException(StatusCodes.Status404NotFound, $"{key} has no {kind} file {name}");
        context.Response.ContentType = Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".csv" => "text/csv; charset=utf-8",
            ".tsv" => "text/tab-separated-values; charset=utf-8",
            ".json" => "application/json",
            ".xml" => "application/xml",
            ".xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ".xls" => "application/vnd.ms-excel",
            ".txt" => "text/plain; charset=utf-8",
            ".pdf" => "application/pdf",
            _ => "application/octet-stream",
        };
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        await context.Response.SendFileAsync(path, context.RequestAborted).ConfigureAwait(false);
    }

    public async Task PutAsync(HttpContext context)
    {
        var (key, name) = (owner(context), FileName(context));
        if (context.Request.ContentLength > MaxBytes) throw new DicomWebException(StatusCodes.Status413PayloadTooLarge, $"a {kind} file is at most {MaxBytes >> 20} MiB");
        bool replaced;
        try
        {
            replaced = await store.SaveAsync(key, name, context.Request.Body, MaxBytes, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw new DicomWebException(StatusCodes.Status413PayloadTooLarge, e.Message);
        }
        service.Log.LogInformation("{Kind} {Owner}/{Name} {Action} by {Caller}", kind, key, name, replaced ? "replaced" : "added", DicomWebCaller.Of(context).Name);
        context.Response.StatusCode = replaced ? StatusCodes.Status200OK : StatusCodes.Status201Created;
        context.Response.Headers.Location = context.Request.Path.Value;
    }

    public Task DeleteAsync(HttpContext context)
    {
        var (key, name) = (owner(context), FileName(context));
        if (!store.Delete(key, name)) throw new DicomWebException(StatusCodes.Status404NotFound, $"{key} has no {kind} file {name}");
        service.Log.LogInformation("{Kind} {Owner}/{Name} deleted by {Caller}", kind, key, name, DicomWebCaller.Of(context).Name);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }
}
