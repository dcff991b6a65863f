using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive.Lists;

namespace TciaPacs.Web.Lists;

/// <summary>
/// A collection's clinical (non-image) data (<c>/api/collections/{collection}/clinical</c>), as TCIA publishes it beside
/// the images: <c>GET</c> lists the files (name, size, updated), <c>GET …/{name}</c> gives one as it was put,
/// <c>PUT …/{name}</c> (the body: the file, streamed to disk) and <c>DELETE …/{name}</c> change them. Reading needs
/// Retrieve in a collection the caller sees, writing needs Store there (<see cref="DicomWebService"/> checks both).
/// </summary>
internal sealed class ClinicalDataHandler(DicomWebService service)
{
    /// <summary>The largest clinical data file accepted (spreadsheets of a trial are megabytes, not gigabytes).</summary>
    private const long MaxBytes = 256L << 20;

    private static string Collection(HttpContext context) => DicomWebService.Route(context, "collection") ?? "";

    private static string FileName(HttpContext context)
    {
        var name = DicomWebService.Route(context, "name") ?? "";
        return NamedDocumentStore<ClinicalFile>.Problem(name) is { } why ? throw new DicomWebException(StatusCodes.Status400BadRequest, why) : name;
    }

    public Task ListAsync(HttpContext context) =>
        Kept.WriteJson(context, new JsonArray([.. service.Archive.Clinical.List(Checked(Collection(context))).Select(f => (JsonNode)new JsonObject
        {
            ["name"] = f.Name, ["size"] = f.Size, ["updated"] = f.Updated.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        })]));

    public async Task GetAsync(HttpContext context)
    {
        var (collection, name) = (Checked(Collection(context)), FileName(context));
        var path = service.Archive.Clinical.Find(collection, name) ?? throw new DicomWebException(StatusCodes.Status404NotFound, $"{collection} has no clinical data file {name}");
        context.Response.ContentType = Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".csv" => "text/csv; charset=utf-8",
            ".tsv" => "text/tab-separated-values; charset=utf-8",
            ".json" => "application/json",
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
        var (collection, name) = (Checked(Collection(context)), FileName(context));
        if (context.Request.ContentLength > MaxBytes) throw new DicomWebException(StatusCodes.Status413PayloadTooLarge, $"a clinical data file is at most {MaxBytes >> 20} MiB");
        bool replaced;
        try
        {
            replaced = await service.Archive.Clinical.SaveAsync(collection, name, context.Request.Body, MaxBytes, context.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw new DicomWebException(StatusCodes.Status413PayloadTooLarge, e.Message);
        }
        service.Log.LogInformation("Clinical data {Collection}/{Name} {Action} by {Caller}", collection, name, replaced ? "replaced" : "added", DicomWebCaller.Of(context).Name);
        context.Response.StatusCode = replaced ? StatusCodes.Status200OK : StatusCodes.Status201Created;
        context.Response.Headers.Location = $"/api/collections/{collection}/clinical/{name}";
    }

    public Task DeleteAsync(HttpContext context)
    {
        var (collection, name) = (Checked(Collection(context)), FileName(context));
        if (!service.Archive.Clinical.Delete(collection, name)) throw new DicomWebException(StatusCodes.Status404NotFound, $"{collection} has no clinical data file {name}");
        service.Log.LogInformation("Clinical data {Collection}/{Name} deleted by {Caller}", collection, name, DicomWebCaller.Of(context).Name);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static string Checked(string collection) =>
        NamedDocumentStore<ClinicalFile>.Problem(collection) is null ? collection : throw new DicomWebException(StatusCodes.Status400BadRequest, $"'{collection}' is not a collection name this API serves");
}
