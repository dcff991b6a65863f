using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using TciaPacs.Archive;
using TciaPacs.Archive.Deidentification;
using TciaPacs.Archive.Storing;

namespace TciaPacs.Server.Hosting;

/// <summary>
/// The quarantine over HTTP for curators, the same as <c>tciapacs quarantine</c> but usable while <c>serve</c> runs:
/// <c>GET /admin/quarantine</c> (list), <c>GET /admin/quarantine/{id}</c> (one, with its findings),
/// <c>POST /admin/quarantine/{id}/release</c> (stores it through the running archive's pipeline: de-identified again,
/// not re-scanned, since a person reviewed it), <c>DELETE /admin/quarantine/{id}</c>. Every call needs the bearer token
/// of <c>Http.AdminToken</c>; without one configured the API is not mapped at all.
/// </summary>
internal sealed class QuarantineAdminApi(ServerOptions options, DicomArchive archive, Serilog.ILogger log)
{
    private readonly byte[] _token = Encoding.UTF8.GetBytes(options.Http.AdminToken);
    private readonly QuarantineStore _store = new(options.DataDirectory);

    public void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/quarantine").AddEndpointFilter(async (context, next) =>
            Authorized(context.HttpContext.Request) ? await next(context) : Results.Problem("an admin bearer token is required (Authorization: Bearer TOKEN)", statusCode: 401));
        group.MapGet("", () => Results.Json(_store.List().Select(Describe)));
        group.MapGet("/{id}", (string id) => _store.Find(id) is { } q ? Results.Json(Describe(q)) : NotFound(id));
        group.MapPost("/{id}/release", async (string id, CancellationToken ct) =>
        {
            if (_store.Find(id) is not { } q) return NotFound(id);
            var result = await archive.StoreAsync(StoreRequest.FromFile(q.FilePath, q.Collection, StoreDoor.Import) with { Reviewed = true }, ct);
            if (!result.IsStored)
                return Results.Problem($"{id} was not stored: {result.Reason}", statusCode: 409);
            _store.Delete(id);
            log.Information("Quarantine {Id} released into {Collection} as {SopInstanceUid}", id, q.Collection, result.SopInstanceUid);
            return Results.Json(new { id, collection = q.Collection, status = result.Status.ToString(), sopInstanceUid = result.SopInstanceUid, reason = result.Reason });
        });
        group.MapDelete("/{id}", (string id) =>
        {
            if (!_store.Delete(id)) return NotFound(id);
            log.Information("Quarantine {Id} deleted", id);
            return Results.NoContent();
        });
    }

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), _token);
    }

    private static object Describe(QuarantinedInstance q) => new { id = q.Id, collection = q.Collection, time = q.Time, reason = q.Reason, findings = q.Findings };

    private static IResult NotFound(string id) => Results.Problem($"no quarantined instance {id}", statusCode: 404);
}
