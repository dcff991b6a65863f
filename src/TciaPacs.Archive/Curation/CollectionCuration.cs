using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Lists;
using TciaPacs.Archive.Storage;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Archive.Curation;

/// <summary>
/// Where contributed data waits for a curator: the intake collections, each with the collection it is published to
/// unless the curator names another. An intake collection is never public: the doors show it to curators only.
/// </summary>
public sealed record CurationOptions
{
    public static CurationOptions None { get; } = new();

    /// <summary>Intake collection → the collection its studies are published to by default (null: the curator names one).</summary>
    public IReadOnlyDictionary<string, string?> IntakeCollections { get; init; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    public bool IsIntake(string collection) => IntakeCollections.ContainsKey(collection);

    /// <summary>Where a study of <paramref name="collection"/> goes when the curator names no target; null when nowhere is configured.</summary>
    public string? PublishTargetOf(string collection) =>
        IntakeCollections.TryGetValue(collection, out var target) && !string.IsNullOrEmpty(target) ? target : null;
}

public enum MoveOutcome { Moved, Unchanged, NotFound }

public enum DeletionOutcome { Deleted, NotFound, NotInIntake }

/// <summary>What became of a study (or one of its series) a curator rejected.</summary>
public sealed record Deletion(string StudyInstanceUid, string? SeriesInstanceUid, string? Collection, int Instances, DeletionOutcome Outcome);

/// <summary>What became of one study a curator moved.</summary>
public sealed record StudyMove(string StudyInstanceUid, string? From, string To, int Instances, MoveOutcome Outcome);

/// <summary>
/// One entry of the curation log: who did what (<c>move</c>, or <c>delete</c> with <see cref="To"/> empty) to which
/// study (or series), when.
/// </summary>
public sealed record CurationEvent(DateTimeOffset At, string Who, string Action, string StudyInstanceUid, string From, string To, int Instances)
{
    public string? SeriesInstanceUid { get; init; }
}

/// <summary>
/// A move (or deletion: <see cref="Action"/> <c>delete</c>, of <see cref="SeriesInstanceUid"/> or the whole study)
/// begun and not yet known to be complete: replayed at the next start after a crash.
/// </summary>
public sealed record PendingMove(string StudyInstanceUid, string From, string To, string Who, DateTimeOffset At)
{
    public string Action { get; init; } = "move";
    public string? SeriesInstanceUid { get; init; }
}

/// <summary>
/// Curators move studies between collections: out of an intake collection into the published one (publishing), back
/// (withdrawing), or between published collections; and delete what they reject, in intake only (published data is
/// withdrawn first, a move the log keeps). A move changes no file's content: it replaces the study folder's
/// collection marker (what a rebuild from the files reads), the catalog's row and the query index's documents. It is
/// journalled first (<c>DATA/curation/pending</c>), so a crash in between is completed at the next start, and logged
/// when done (<c>DATA/curation/log.jsonl</c>, one JSON line a move, synced).
/// </summary>
public sealed class CollectionCuration
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly FileStore _files;
    private readonly ICatalog _catalog;
    private readonly IQueryIndex? _index;
    private readonly ILogger _logger;
    private readonly NamedDocumentStore<PendingMove> _pending;
    private readonly string _logPath;
    // One move at a time: moves are rare, and each rewrites the index documents of a whole study.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public CollectionCuration(FileStore files, ICatalog catalog, IQueryIndex? index, CurationOptions? options = null, ILogger? logger = null)
    {
        _files = files;
        _catalog = catalog;
        _index = index;
        _logger = logger ?? NullLogger.Instance;
        Options = options ?? CurationOptions.None;
        var folder = Path.Combine(files.DataDirectory, "curation");
        _pending = new NamedDocumentStore<PendingMove>(folder, "pending");
        _logPath = Path.Combine(folder, "log.jsonl");
    }

    public CurationOptions Options { get; }

    /// <summary>
    /// Moves a study into <paramref name="to"/>, for <paramref name="who"/> (logged). Once begun it runs to its end
    /// whatever <paramref name="cancellationToken"/> says, so a client that hangs up leaves no study half moved.
    /// </summary>
    public async Task<StudyMove> MoveStudyAsync(string studyUid, string to, string who, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(studyUid);
        ArgumentException.ThrowIfNullOrEmpty(to);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var from = _catalog.CollectionOfStudy(studyUid);
            if (from == null) return new StudyMove(studyUid, null, to, 0, MoveOutcome.NotFound);
            if (from == to) return new StudyMove(studyUid, from, to, 0, MoveOutcome.Unchanged);
            var pending = new PendingMove(studyUid, from, to, who, DateTimeOffset.UtcNow);
            var name = FileStore.HashUid(studyUid);
            _pending.Save(name, pending);
            var instances = await ApplyAsync(pending).ConfigureAwait(false);
            _pending.Delete(name);
            return new StudyMove(studyUid, from, to, instances, MoveOutcome.Moved);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Completes the moves a crash interrupted (at start, before the doors open); how many there were.</summary>
    public async Task<int> ResumeAsync()
    {
        var pending = _pending.All();
        foreach (var move in pending)
        {
            _logger.LogWarning("Completing the move of study {StudyInstanceUid} from {From} to {To} by {Who}, interrupted at {At:O}",
                move.StudyInstanceUid, move.From, move.To, move.Who, move.At);
            if (move.Action == "delete") await DeleteNowAsync(move).ConfigureAwait(false);
            else await ApplyAsync(move).ConfigureAwait(false);
            _pending.Delete(FileStore.HashUid(move.StudyInstanceUid));
        }
        return pending.Count;
    }

    /// <summary>
    /// Deletes a study, or one series of it (<paramref name="seriesUid"/>), that a curator rejects: files first, then
    /// the catalog's rows and the index's documents, then (when nothing of the study is left) its folder and collection
    /// marker. Only in an intake collection: published data is withdrawn to intake first (a logged move).
    /// </summary>
    public async Task<Deletion> DeleteAsync(string studyUid, string? seriesUid, string who, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(studyUid);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var collection = _catalog.CollectionOfStudy(studyUid);
            if (collection == null) return new Deletion(studyUid, seriesUid, null, 0, DeletionOutcome.NotFound);
            if (!Options.IsIntake(collection)) return new Deletion(studyUid, seriesUid, collection, 0, DeletionOutcome.NotInIntake);
            if (seriesUid != null && !_catalog.InstanceFiles(studyUid, seriesUid).Any()) return new Deletion(studyUid, seriesUid, collection, 0, DeletionOutcome.NotFound);
            var pending = new PendingMove(studyUid, collection, "", who, DateTimeOffset.UtcNow) { Action = "delete", SeriesInstanceUid = seriesUid };
            var name = FileStore.HashUid(studyUid);
            _pending.Save(name, pending);
            var instances = await DeleteNowAsync(pending).ConfigureAwait(false);
            _pending.Delete(name);
            return new Deletion(studyUid, seriesUid, collection, instances, DeletionOutcome.Deleted);
        }
        finally
        {
            _gate.Release();
        }
    }

    // Files before rows: a crash in between leaves rows without files, which recovery removes (with their index
    // documents); never files without rows, which recovery would adopt again.
    private async Task<int> DeleteNowAsync(PendingMove deletion)
    {
        var started = Stopwatch.GetTimestamp();
        var instances = _catalog.InstanceFiles(deletion.StudyInstanceUid, deletion.SeriesInstanceUid).ToList();
        _files.Delete(instances.Select(i => i.RelativePath));
        foreach (var instance in instances)
        {
            await _catalog.RemoveInstanceAsync(instance.SopInstanceUid).ConfigureAwait(false);
            _index?.Delete(instance.SopInstanceUid);
        }
        _index?.Commit();
        if (_catalog.CollectionOfStudy(deletion.StudyInstanceUid) == null)
        {
            _files.RemoveStudyFolder(deletion.StudyInstanceUid);
            (_index as BackgroundIndexer)?.ForgetStudy(deletion.StudyInstanceUid);
        }
        Append(new CurationEvent(DateTimeOffset.UtcNow, deletion.Who, "delete", deletion.StudyInstanceUid, deletion.From, "", instances.Count)
            { SeriesInstanceUid = deletion.SeriesInstanceUid });
        _logger.LogWarning("Deleted {What} {StudyInstanceUid}{Series} ({Instances} instances) from {Collection} for {Who} in {ElapsedMs:F0} ms",
            deletion.SeriesInstanceUid == null ? "study" : "series of study", deletion.StudyInstanceUid,
            deletion.SeriesInstanceUid == null ? "" : " series " + deletion.SeriesInstanceUid, instances.Count, deletion.From, deletion.Who,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return instances.Count;
    }

    // Marker, catalog, index, log: each step may be done again, so a replay after a crash anywhere in between ends the same.
    private async Task<int> ApplyAsync(PendingMove move)
    {
        var started = Stopwatch.GetTimestamp();
        (_index as BackgroundIndexer)?.MoveStudy(move.StudyInstanceUid, move.To);
        _files.ReplaceCollectionMarker(move.StudyInstanceUid, move.To);
        await _catalog.MoveStudyAsync(move.StudyInstanceUid, move.To).ConfigureAwait(false);
        var instances = 0;
        foreach (var instance in _catalog.InstanceFiles(move.StudyInstanceUid))
        {
            instances++;
            if (_index == null) continue;
            DicomFile file;
            try
            {
                file = await DicomFile.OpenAsync(_files.FullPath(instance.RelativePath), DicomReadOptions.HeaderOnly).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or DicomParseException)
            {
                // A file removed or damaged behind the archive's back: recovery removes its row at the next start.
                _logger.LogWarning("Moving study {StudyInstanceUid}: instance {SopInstanceUid} not indexed again, its file cannot be read: {Reason}",
                    move.StudyInstanceUid, instance.SopInstanceUid, ex.Message);
                continue;
            }
            _index.Index(ArchiveRecovery.Indexed(move.To, file) with { IsNew = false });
        }
        // Committed before the journal entry goes: after a crash the index must not name the old collection.
        _index?.Commit();
        Append(new CurationEvent(DateTimeOffset.UtcNow, move.Who, "move", move.StudyInstanceUid, move.From, move.To, instances));
        _logger.LogInformation("Moved study {StudyInstanceUid} ({Instances} instances) from {From} to {To} for {Who} in {ElapsedMs:F0} ms",
            move.StudyInstanceUid, instances, move.From, move.To, move.Who, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return instances;
    }

    private readonly Lock _logGate = new();

    private void Append(CurationEvent entry)
    {
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, Json) + "\n");
        lock (_logGate)
        {
            var folder = Path.GetDirectoryName(_logPath)!;
            if (!Directory.Exists(folder)) DurableIO.CreateDirectoryDurably(folder);
            var created = !File.Exists(_logPath);
            using (var stream = new FileStream(_logPath, FileMode.Append, FileAccess.Write, FileShare.Read))
            {
                stream.Write(line);
                stream.Flush(flushToDisk: true);
            }
            if (created) DurableIO.SyncDirectory(folder);
        }
    }

    /// <summary>The last <paramref name="count"/> entries of the curation log, oldest first (read as a stream: the log only grows).</summary>
    public IReadOnlyList<CurationEvent> Log(int count)
    {
        var last = new Queue<CurationEvent>();
        if (count <= 0 || !File.Exists(_logPath)) return [];
        using var reader = new StreamReader(new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        while (reader.ReadLine() is { } line)
        {
            CurationEvent? entry;
            // A line torn by a crash mid-write is skipped, not fatal.
            try { entry = JsonSerializer.Deserialize<CurationEvent>(line, Json); }
            catch (JsonException) { continue; }
            if (entry == null) continue;
            last.Enqueue(entry);
            if (last.Count > count) last.Dequeue();
        }
        return [.. last];
    }
}
