using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Archive.Storage;
using TciaPacs.Archive.Storing;

namespace TciaPacs.Archive;

/// <summary>
/// The archive over its ports: one file store, one catalog, an optional query index, the store pipeline and the query
/// engine. The composition root (TciaPacs.Server) builds it with the adapters. Closing it waits for the stores in
/// flight (each either commits or leaves nothing visible) and refuses new ones.
/// </summary>
public sealed class DicomArchive : IAsyncDisposable
{
    private readonly ICatalog _catalog;
    private readonly IQueryIndex? _index;
    private readonly StorePipeline _pipeline;
    private readonly object _gate = new();
    private int _inFlight;
    private bool _closing;
    private TaskCompletionSource? _drained;

    private readonly FileStream? _lock;
    private readonly ILogger<DicomArchive> _logger;

    /// <param name="exclusive">
    /// Hold <c>DATA/.lock</c> so that no second process stores into (or recovers) the same folder; read-only users
    /// (queries) pass false.
    /// </param>
    /// <param name="logger">Where each store's outcome goes (UIDs, door, calling AE, collection, timing; never other element values).</param>
    public DicomArchive(string dataDirectory, ICatalog catalog, StoreOptions? options = null, IReadOnlyList<IStoreFilter>? filters = null, IQueryIndex? index = null, bool exclusive = true,
        ILogger<DicomArchive>? logger = null, Curation.CurationOptions? curation = null)
    {
        _logger = logger ?? NullLogger<DicomArchive>.Instance;
        options ??= new StoreOptions();
        Files = new FileStore(dataDirectory);
        if (exclusive)
        {
            try
            {
                _lock = new FileStream(Path.Combine(Files.DataDirectory, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex)
            {
                catalog.Dispose();
                Files.Dispose();
                throw new IOException($"the data folder {Files.DataDirectory} is in use by another process", ex);
            }
        }
        _catalog = catalog;
        // Index updates run after a store has answered, on a thread of their own; readers of the index wait for them.
        if (index != null) index = new BackgroundIndexer(index, options.OnWarning, options.IndexCommitInterval);
        _index = index;
        _pipeline = new StorePipeline(Files, catalog, options, filters, index);
        Query = new QueryEngine(catalog, index);
        Recovery = new ArchiveRecovery(Files, catalog, index);
        Lists = new Lists.NamedDocumentStore<Lists.SeriesList>(Files.DataDirectory, "lists");
        Queries = new Lists.NamedDocumentStore<Lists.SavedQuery>(Files.DataDirectory, "queries");
        Clinical = new Lists.AttachedFileStore(Files.DataDirectory, "clinical");
        Annotations = new Lists.AttachedFileStore(Files.DataDirectory, "annotations");
        Descriptions = new Lists.CollectionDescriptions(Files.DataDirectory);
        Audit = new Audit.AccessAudit(Files.DataDirectory);
        Curation = new Curation.CollectionCuration(Files, catalog, index, curation, _logger);
    }

    /// <summary>Who retrieved what (the access audit trail).</summary>
    public Audit.AccessAudit Audit { get; }

    /// <summary>What curators say of each collection (description, DOI, licence, citation).</summary>
    public Lists.CollectionDescriptions Descriptions { get; }

    /// <summary>Curators' moves of studies between collections (intake to published), and the intake collections.</summary>
    public Curation.CollectionCuration Curation { get; }

    // The collections that hold a study: read from the catalog when first asked, then kept as stores and moves add ones.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _collections = new(StringComparer.Ordinal);
    private volatile bool _collectionsLoaded;

    /// <summary>
    /// Every collection that holds (or held, since start) a study: what "every collection" means to a door that must
    /// leave some out (the intake collections).
    /// </summary>
    public IReadOnlyCollection<string> CollectionNames
    {
        get
        {
            if (!_collectionsLoaded)
            {
                foreach (var name in _catalog.CollectionNames()) _collections.TryAdd(name, 0);
                _collectionsLoaded = true;
            }
            return (IReadOnlyCollection<string>)_collections.Keys;
        }
    }

    /// <summary>
    /// Deletes a study or series a curator rejects (see <see cref="Curation"/>), and the annotations of its series that
    /// are no longer stored: a rejected series' reader study may hold what the rejection was for.
    /// </summary>
    public async Task<Curation.Deletion> RejectAsync(string studyUid, string? seriesUid, string who, CancellationToken cancellationToken = default)
    {
        var series = _catalog.InstanceFiles(studyUid, seriesUid).Select(f => f.SeriesInstanceUid).Distinct(StringComparer.Ordinal).ToList();
        var deletion = await Curation.DeleteAsync(studyUid, seriesUid, who, cancellationToken).ConfigureAwait(false);
        if (deletion.Outcome == TciaPacs.Archive.Curation.DeletionOutcome.Deleted)
            foreach (var uid in series)
                if (!_catalog.InstanceFiles(studyUid, uid).Any() && TciaPacs.Archive.Lists.NamedDocumentStore<TciaPacs.Archive.Lists.SeriesList>.Problem(uid) == null) Annotations.DeleteAll(uid);
        return deletion;
    }

    /// <summary>Moves a study to another collection for a curator (see <see cref="Curation"/>).</summary>
    public async Task<Curation.StudyMove> MoveStudyAsync(string studyUid, string to, string who, CancellationToken cancellationToken = default)
    {
        _collections.TryAdd(to, 0);
        return await Curation.MoveStudyAsync(studyUid, to, who, cancellationToken).ConfigureAwait(false);
    }

    public FileStore Files { get; }
    public ICatalog Catalog => _catalog;
    public QueryEngine Query { get; }
    public ArchiveRecovery Recovery { get; }

    /// <summary>The shared lists of series researchers keep (TCIA's shared carts).</summary>
    public Lists.NamedDocumentStore<Lists.SeriesList> Lists { get; }

    /// <summary>The queries researchers save to run again.</summary>
    public Lists.NamedDocumentStore<Lists.SavedQuery> Queries { get; }

    /// <summary>The collections' clinical (non-image) data files.</summary>
    public Lists.AttachedFileStore Clinical { get; }

    /// <summary>The series' annotation files (non-DICOM: XML, JSON… of a reader study).</summary>
    public Lists.AttachedFileStore Annotations { get; }

    public async Task<StoreResult> StoreAsync(StoreRequest request, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_closing) return StoreResult.Failure(StoreResult.StatusOutOfResources, "the archive is shutting down");
            _inFlight++;
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await _pipeline.StoreAsync(request, cancellationToken).ConfigureAwait(false);
            // ContainsKey first: it takes no lock, and all but a collection's first store find it there.
            if (result.Status is StoreStatus.Success or StoreStatus.Warning && !_collections.ContainsKey(request.Collection)) _collections.TryAdd(request.Collection, 0);
            Log(request, result, Stopwatch.GetElapsedTime(started));
            return result;
        }
        finally
        {
            lock (_gate)
            {
                if (--_inFlight == 0) _drained?.TrySetResult();
            }
        }
    }

    private void Log(StoreRequest request, StoreResult result, TimeSpan elapsed)
    {
        // Successes at Debug (an import logs thousands); anything a sender or curator must act on at Warning.
        var level = result.Status switch
        {
            StoreStatus.Success or StoreStatus.SuccessDuplicate => LogLevel.Debug,
            StoreStatus.Warning or StoreStatus.Quarantined => LogLevel.Information,
            _ => LogLevel.Warning,
        };
        if (!_logger.IsEnabled(level)) return;
        _logger.Log(level, "Store {Status} {DimseStatus:X4} via {Door} from {CallingAe} into {Collection}: SOP {SopInstanceUid} (class {SopClassUid}) study {StudyInstanceUid} series {SeriesInstanceUid}, {Size} bytes in {ElapsedMs:F1} ms{Reason}",
            result.Status, result.DimseStatus, request.Door, request.CallingAe ?? "-", request.Collection, result.SopInstanceUid, result.SopClassUid,
            result.StudyInstanceUid, result.SeriesInstanceUid, result.Size, elapsed.TotalMilliseconds, result.Reason.Length > 0 ? ": " + result.Reason : "");
    }

    /// <summary>Refuses new stores and waits for those in flight.</summary>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            _closing = true;
            if (_inFlight == 0) return Task.CompletedTask;
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DrainAsync().ConfigureAwait(false);
        await Audit.DisposeAsync().ConfigureAwait(false);
        _index?.Commit();
        _index?.Dispose();
        _catalog.Dispose();
        Files.Dispose();
        _lock?.Dispose();
    }
}
