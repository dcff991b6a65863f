using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;
using TciaPacs.Web.Qido;
using TciaPacs.Web.Rendering;
using TciaPacs.Web.Stow;
using TciaPacs.Web.Wado;

namespace TciaPacs.Web;

/// <summary>The routes of PS3.18 mapped to thin handlers; each handler streams from the archive.</summary>
internal sealed class DicomWebService
{
    private readonly ILogger _log;

    public DicomWebService(DicomArchive archive, DicomWebOptions options, ILoggerFactory loggers)
    {
        Archive = archive;
        Options = options;
        _log = loggers.CreateLogger("TciaPacs.Web");
        Stow = new StowHandler(this);
        Qido = new QidoHandler(this);
        Retrieve = new RetrieveHandler(this);
        Metadata = new MetadataHandler(this);
        Frames = new FramesHandler(this);
        BulkData = new BulkDataHandler(this);
        Rendered = new RenderedHandler(this);
        WadoUri = new WadoUriHandler(this);
    }

    public DicomArchive Archive { get; }
    public DicomWebOptions Options { get; }
    public ILogger Log => _log;

    private StowHandler Stow { get; }
    private QidoHandler Qido { get; }
    private RetrieveHandler Retrieve { get; }
    private MetadataHandler Metadata { get; }
    private FramesHandler Frames { get; }
    private BulkDataHandler BulkData { get; }
    private RenderedHandler Rendered { get; }
    private WadoUriHandler WadoUri { get; }

    public void Map(WebApplication app)
    {
        MapService(app.MapGroup("/dicom-web"));
        MapService(app.MapGroup("/collections/{collection}/dicom-web"));
        app.MapGet("/wado", Run(WadoUri.HandleAsync));
        app.MapMethods("/", ["GET", "OPTIONS"], Run(Capabilities.HandleAsync));
    }

    private void MapService(RouteGroupBuilder g)
    {
        g.MapMethods("", ["GET", "OPTIONS"], Run(Capabilities.HandleAsync));
        g.MapGet("/wado", Run(WadoUri.HandleAsync));

        g.MapPost("/studies", Run(Stow.HandleAsync));
        g.MapPost("/studies/{study}", Run(Stow.HandleAsync));

        g.MapGet("/studies", Run(c => Qido.HandleAsync(c, QueryLevel.Study)));
        g.MapGet("/series", Run(c => Qido.HandleAsync(c, QueryLevel.Series)));
        g.MapGet("/instances", Run(c => Qido.HandleAsync(c, QueryLevel.Image)));
        g.MapGet("/studies/{study}/series", Run(c => Qido.HandleAsync(c, QueryLevel.Series)));
        g.MapGet("/studies/{study}/instances", Run(c => Qido.HandleAsync(c, QueryLevel.Image)));
        g.MapGet("/studies/{study}/series/{series}/instances", Run(c => Qido.HandleAsync(c, QueryLevel.Image)));

        g.MapGet("/studies/{study}", Run(Retrieve.HandleAsync));
        g.MapGet("/studies/{study}/series/{series}", Run(Retrieve.HandleAsync));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}", Run(Retrieve.HandleAsync));

        g.MapGet("/studies/{study}/metadata", Run(Metadata.HandleAsync));
        g.MapGet("/studies/{study}/series/{series}/metadata", Run(Metadata.HandleAsync));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/metadata", Run(Metadata.HandleAsync));

        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}", Run(Frames.HandleAsync));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/bulkdata/{**path}", Run(BulkData.HandleAsync));

        g.MapGet("/studies/{study}/rendered", Run(c => Rendered.HandleAsync(c, false)));
        g.MapGet("/studies/{study}/series/{series}/rendered", Run(c => Rendered.HandleAsync(c, false)));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/rendered", Run(c => Rendered.HandleAsync(c, false)));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}/rendered", Run(c => Rendered.HandleAsync(c, false)));
        g.MapGet("/studies/{study}/thumbnail", Run(c => Rendered.HandleAsync(c, true)));
        g.MapGet("/studies/{study}/series/{series}/thumbnail", Run(c => Rendered.HandleAsync(c, true)));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/thumbnail", Run(c => Rendered.HandleAsync(c, true)));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}/thumbnail", Run(c => Rendered.HandleAsync(c, true)));
    }

    /// <summary>Turns the exceptions a handler may throw into HTTP answers: 400 for a bad query, the status of a <see cref="DicomWebException"/>.</summary>
    private RequestDelegate Run(Func<HttpContext, Task> handler) => async context =>
    {
        try
        {
            await handler(context).ConfigureAwait(false);
        }
        catch (DicomWebException ex)
        {
            await HttpErrors.WriteAsync(context, ex.Status, ex.Message).ConfigureAwait(false);
        }
        catch (QueryException ex)
        {
            await HttpErrors.BadRequest(context, ex.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception ex) when (ex is IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away while we were writing.
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "{Method} {Path} failed", context.Request.Method, context.Request.Path.Value);
            await HttpErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, ex.Message).ConfigureAwait(false);
        }
    };

    public static string? Route(HttpContext context, string name) =>
        context.Request.RouteValues.TryGetValue(name, out var v) ? v as string : null;

    /// <summary>
    /// The stored instances of a study, series or instance the caller may see, in SOP Instance UID order: their files
    /// from the catalog's columns (no attribute documents read), restricted to the collection of the base.
    /// </summary>
    public List<InstanceFile> FindInstances(RequestScope scope, string study, string? series = null, string? sop = null, CancellationToken cancellationToken = default)
    {
        var found = new List<InstanceFile>();
        foreach (var e in Archive.Catalog.InstanceFiles(study, series, sop))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (scope.Collection == null || e.Collection == scope.Collection) found.Add(e);
        }
        return found;
    }

    /// <summary>As <see cref="FindInstances"/> with the request's route values; a 404 when there are none.</summary>
    public List<InstanceFile> FindRouteInstances(HttpContext context, RequestScope scope)
    {
        var study = Route(context, "study")!;
        var series = Route(context, "series");
        var sop = Route(context, "instance");
        var found = FindInstances(scope, study, series, sop, context.RequestAborted);
        if (found.Count == 0)
        {
            var what = sop != null ? $"instance {sop}" : series != null ? $"series {series}" : $"study {study}";
            throw new DicomWebException(StatusCodes.Status404NotFound, $"{what} not found");
        }
        return found;
    }

    public string FullPath(InstanceFile instance) => Archive.Files.FullPath(instance.RelativePath);

}
