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
        Nbia = new Nbia.NbiaHandler(this);
        Lists = new Lists.ListsHandler(this);
        Queries = new Lists.SavedQueriesHandler(this);
        Clinical = TciaPacs.Web.Lists.AttachedFilesHandler.Clinical(this);
        Annotations = TciaPacs.Web.Lists.AttachedFilesHandler.Annotations(this);
        Curation = new Curation.CurationHandler(this);
        NbiaTokens = new Nbia.NbiaTokenHandler(this);
        Collections = new Lists.CollectionsHandler(this);
        Audit = new Curation.AuditHandler(this);
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
    private Nbia.NbiaHandler Nbia { get; }
    private Lists.ListsHandler Lists { get; }
    private Lists.SavedQueriesHandler Queries { get; }
    private Lists.AttachedFilesHandler Clinical { get; }
    private Lists.AttachedFilesHandler Annotations { get; }
    private Curation.CurationHandler Curation { get; }
    private Nbia.NbiaTokenHandler NbiaTokens { get; }
    private Lists.CollectionsHandler Collections { get; }
    private Curation.AuditHandler Audit { get; }

    public void Map(WebApplication app)
    {
        MapService(app.MapGroup("/dicom-web"));
        MapService(app.MapGroup("/collections/{collection}/dicom-web"));
        app.MapGet("/wado", Run(WadoUri.HandleAsync, DicomWebOperation.Retrieve));
        app.MapMethods("/", ["GET", "OPTIONS"], Run(Capabilities.HandleAsync));
        // Shared lists of series.
        // What researchers keep: shared lists of series and saved queries (kept by their owners, read with Query);
        // a collection's clinical data and a series' annotations (read as its images are, written as they are stored).
        MapKept(app, "/api/lists", Lists.AllAsync, Lists.GetAsync, Lists.PutAsync, Lists.DeleteAsync, DicomWebOperation.Query, DicomWebOperation.Query);
        MapKept(app, "/api/queries", Queries.AllAsync, Queries.GetAsync, Queries.PutAsync, Queries.DeleteAsync, DicomWebOperation.Query, DicomWebOperation.Query);
        app.MapGet("/api/queries/{name}/results", Run(c => Queries.ResultsAsync(c, Qido.HandleAsync), DicomWebOperation.Query));
        MapKept(app, "/api/collections/{collection}/clinical", Clinical.ListAsync, Clinical.GetAsync, Clinical.PutAsync, Clinical.DeleteAsync, DicomWebOperation.Retrieve, DicomWebOperation.Store);
        MapKept(app, "/api/series/{series}/annotations", Annotations.ListAsync, Annotations.GetAsync, Annotations.PutAsync, Annotations.DeleteAsync, DicomWebOperation.Retrieve, DicomWebOperation.Store);
        // The collections a caller sees, and what curators say of each.
        app.MapGet("/api/collections", Run(Collections.AllAsync, DicomWebOperation.Query));
        app.MapGet("/api/collections/{collection}", Run(Collections.GetAsync, DicomWebOperation.Query));
        app.MapPut("/api/collections/{collection}", Run(Collections.PutAsync, DicomWebOperation.Curate));
        // Curators: what waits in intake, moving studies between collections (publishing), rejecting, who did what.
        app.MapGet("/api/curation/intake", Run(Curation.IntakeAsync, DicomWebOperation.Curate));
        app.MapPost("/api/curation/move", Run(Curation.MoveAsync, DicomWebOperation.Curate));
        app.MapGet("/api/curation/log", Run(Curation.LogAsync, DicomWebOperation.Curate));
        app.MapGet("/api/audit", Run(Audit.GetAsync, DicomWebOperation.Curate));
        app.MapDelete("/api/curation/studies/{study}", Run(Curation.DeleteAsync, DicomWebOperation.Curate));
        app.MapDelete("/api/curation/studies/{study}/series/{series}", Run(Curation.DeleteAsync, DicomWebOperation.Curate));
        // TCIA's NBIA Search REST API: v1 for anyone, v2 (TCIA's "with authentication") for callers who sign in, with the
        // bearer tokens of its OAuth endpoint (or HTTP Basic). The token endpoint reads no credentials of the request's
        // own: an OAuth client may send its client id there as Basic credentials.
        app.MapPost("/nbia-api/oauth/token", Run(NbiaTokens.TokenAsync, authenticate: false));
        app.MapGet("/nbia-api/logout", Run(NbiaTokens.LogoutAsync, authenticate: false));
        foreach (var version in new[] { "v1", "v2" })
        {
            var nbia = app.MapGroup($"/nbia-api/services/{version}");
            foreach (var (name, handle, operation) in Nbia.Endpoints) nbia.MapGet("/" + name, Run(handle, operation));
        }
    }

    /// <summary>A collection of named things: <c>GET route</c> lists them, <c>GET/PUT/DELETE route/{name}</c> reads, writes and removes one.</summary>
    private void MapKept(WebApplication app, string route, Func<HttpContext, Task> all, Func<HttpContext, Task> get, Func<HttpContext, Task> put,
        Func<HttpContext, Task> delete, DicomWebOperation read, DicomWebOperation write)
    {
        app.MapGet(route, Run(all, read));
        app.MapGet(route + "/{name}", Run(get, read));
        app.MapPut(route + "/{name}", Run(put, write));
        app.MapDelete(route + "/{name}", Run(delete, write));
    }

    private void MapService(RouteGroupBuilder g)
    {
        g.MapMethods("", ["GET", "OPTIONS"], Run(Capabilities.HandleAsync));
        g.MapGet("/wado", Run(WadoUri.HandleAsync, DicomWebOperation.Retrieve));

        g.MapPost("/studies", Run(Stow.HandleAsync, DicomWebOperation.Store));
        g.MapPost("/studies/{study}", Run(Stow.HandleAsync, DicomWebOperation.Store));

        g.MapGet("/studies", Run(c => Qido.HandleAsync(c, QueryLevel.Study), DicomWebOperation.Query));
        g.MapGet("/series", Run(c => Qido.HandleAsync(c, QueryLevel.Series), DicomWebOperation.Query));
        g.MapGet("/instances", Run(c => Qido.HandleAsync(c, QueryLevel.Image), DicomWebOperation.Query));
        g.MapGet("/studies/{study}/series", Run(c => Qido.HandleAsync(c, QueryLevel.Series), DicomWebOperation.Query));
        g.MapGet("/studies/{study}/instances", Run(c => Qido.HandleAsync(c, QueryLevel.Image), DicomWebOperation.Query));
        g.MapGet("/studies/{study}/series/{series}/instances", Run(c => Qido.HandleAsync(c, QueryLevel.Image), DicomWebOperation.Query));

        g.MapGet("/studies/{study}", Run(Retrieve.HandleAsync, DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}", Run(Retrieve.HandleAsync, DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}", Run(Retrieve.HandleAsync, DicomWebOperation.Retrieve));

        g.MapGet("/studies/{study}/metadata", Run(Metadata.HandleAsync, DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}/metadata", Run(Metadata.HandleAsync, DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/metadata", Run(Metadata.HandleAsync, DicomWebOperation.Retrieve));

        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}", Run(Frames.HandleAsync, DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/bulkdata/{**path}", Run(BulkData.HandleAsync, DicomWebOperation.Retrieve));

        g.MapGet("/studies/{study}/rendered", Run(c => Rendered.HandleAsync(c, false), DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}/rendered", Run(c => Rendered.HandleAsync(c, false), DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/rendered", Run(c => Rendered.HandleAsync(c, false), DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}/rendered", Run(c => Rendered.HandleAsync(c, false), DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/thumbnail", Run(c => Rendered.HandleAsync(c, true), DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}/thumbnail", Run(c => Rendered.HandleAsync(c, true), DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/thumbnail", Run(c => Rendered.HandleAsync(c, true), DicomWebOperation.Retrieve));
        g.MapGet("/studies/{study}/series/{series}/instances/{instance}/frames/{frames}/thumbnail", Run(c => Rendered.HandleAsync(c, true), DicomWebOperation.Retrieve));
    }

    /// <summary>
    /// Runs a handler for its caller (<see cref="DicomWebCaller"/>: signed in or not, and what it may do to the
    /// collection the request names, checked first), and turns the exceptions it may throw into HTTP answers: 400 for
    /// a bad query, the status of a <see cref="DicomWebException"/>.
    /// </summary>
    private RequestDelegate Run(Func<HttpContext, Task> handler, DicomWebOperation operation = DicomWebOperation.None, bool authenticate = true) => async context =>
    {
        try
        {
            context.Items[OperationKey] = operation;
            if (authenticate)
            {
                var caller = DicomWebCaller.Authenticate(context, Options.Access);
                caller.Require(operation, Route(context, "collection") ?? (operation == DicomWebOperation.Store ? Options.DefaultCollection : null));
            }
            await handler(context).ConfigureAwait(false);
        }
        catch (DicomWebException ex)
        {
            if (ex.Status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
                _log.LogWarning("{Method} {Path} refused ({Status}): {Reason}", context.Request.Method, context.Request.Path.Value, ex.Status, ex.Message);
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

    /// <summary>Where <see cref="Run"/> keeps the operation of the request (a retrieval is audited).</summary>
    public const string OperationKey = "tciapacs.operation";

    public static string? Route(HttpContext context, string name) =>
        context.Request.RouteValues.TryGetValue(name, out var v) ? v as string : null;

    /// <summary>
    /// The stored instances of a study, series or instance the caller may see, in SOP Instance UID order: their files
    /// from the catalog's columns (no attribute documents read), restricted to the collection of the base and those
    /// the caller sees (another's instance is not found, as if it were not there).
    /// </summary>
    public List<InstanceFile> FindInstances(RequestScope scope, string study, string? series = null, string? sop = null, CancellationToken cancellationToken = default)
    {
        var found = new List<InstanceFile>();
        foreach (var e in Archive.Catalog.InstanceFiles(study, series, sop))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (scope.Sees(e.Collection)) found.Add(e);
        }
        // What a retrieval finds leaves the archive: one audit event (a viewer's frame requests of one series are one).
        if (scope.Retriever is { } who && found.Count > 0)
            Archive.Audit.Record(who.Who, who.Door, "retrieve", found[0].Collection, study,
                series ?? (found.TrueForAll(f => f.SeriesInstanceUid == found[0].SeriesInstanceUid) ? found[0].SeriesInstanceUid : null), found.Count, who.Remote);
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
