using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Storage;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Diagnostics;

namespace TciaPacs.Archive.Storing;

/// <summary>
/// The one way in: parse (large values left in the file) → validate → filters in order → stage the file (temp name)
/// → publish (rename) → durable (the shared syncfs, or fsync of file and folder) → catalog commit (durable before we
/// answer) → index (queued, in DicomArchive: BackgroundIndexer).
/// Whatever fails, no row points at a missing file and no refused content replaces a stored file. Safe to call
/// concurrently.
/// </summary>
public sealed class StorePipeline(FileStore files, ICatalog catalog, StoreOptions? options = null, IReadOnlyList<IStoreFilter>? filters = null, IQueryIndex? index = null)
{
    private readonly StoreOptions _options = options ?? new StoreOptions();
    private readonly IReadOnlyList<IStoreFilter> _filters = filters ?? [];
    // Stores of one SOP Instance UID are serialized from publish to cleanup, so that a file one store keeps is never
    // deleted by another; 64 stripes keep unrelated stores parallel.
    private readonly SemaphoreSlim[] _stripes = Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    public async Task<StoreResult> StoreAsync(StoreRequest request, CancellationToken cancellationToken = default)
    {
        string? spool = null;
        try
        {
            var source = request.FilePath;
            if (source == null)
            {
                if (request.Stream == null) return StoreResult.Failure(StoreResult.StatusCannotUnderstand, "the request has neither a file nor a stream");
                spool = await SpoolAsync(request.Stream, cancellationToken).ConfigureAwait(false);
                source = spool;
            }
            return await StoreFileAsync(spool != null ? request with { MayMoveFile = true } : request, source, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (spool != null) File.Delete(spool);
        }
    }

    private async Task<string> SpoolAsync(Stream stream, CancellationToken ct)
    {
        var dir = Path.Combine(files.Root, ".incoming");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, Guid.NewGuid().ToString("N") + FileStore.TempSuffix);
        await using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        await stream.CopyToAsync(fs, ct).ConfigureAwait(false);
        return path;
    }

    private async Task<StoreResult> StoreFileAsync(StoreRequest request, string source, CancellationToken ct)
    {
        DicomFile file;
        try
        {
            // The whole data set, so that filters also see what follows the pixel data (private groups above 7FE0, the
            // Digital Signatures Sequence); large values (the pixel data) stay in the file, so this reads little more
            // than the header. Synchronous: the header is usually in the page cache, and an asynchronous read costs two hops.
            file = DicomFile.Open(source);
        }
        catch (DicomParseException ex)
        {
            return StoreResult.Failure(StoreResult.StatusCannotUnderstand, $"cannot parse: at byte {ex.Offset}: {ex.Reason}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException)
        {
            return StoreResult.Failure(StoreResult.StatusCannotUnderstand, $"cannot read: {ex.Message}");
        }

        var header = file.Dataset;
        StageTrace.Mark(StageTrace.Parsed, header.GetString(DicomTags.SOPInstanceUID));
        // Encapsulated pixel data under a native syntax (Odil 0.12 sends compressed files so, in the Explicit VR Little
        // Endian it negotiated): no reader can tell which codec made the fragments, so the instance could be neither
        // decoded nor sent in another syntax. Refused, with the reason, before anything is kept.
        if (!file.TransferSyntax.IsEncapsulated && header.Get(DicomTags.PixelData) is DicomFragmentSequence)
            return Identify(StoreResult.Failure(StoreResult.StatusCannotUnderstand,
                $"Pixel Data (7FE0,0010) is encapsulated, but its transfer syntax {file.TransferSyntax.Name} is native (PS3.5 A.4): the sender compressed it and declared an uncompressed syntax"), header);
        if (InstanceValidator.Validate(header, file.Meta) is { } invalid)
            return Identify(StoreResult.Failure(StoreResult.StatusDataSetDoesNotMatchSopClass, invalid), header);

        var modified = new List<string>();
        foreach (var filter in _filters)
        {
            switch (filter.Decide(new StoreContext(request, header, file.TransferSyntax)))
            {
                case FilterDecision.Accept:
                    break;
                case FilterDecision.Modify m:
                    header = m.Dataset;
                    modified.Add($"{filter.Name}: {m.Reason}");
                    break;
                case FilterDecision.Quarantine q:
                    return Identify(await QuarantineAsync(source, header, $"{filter.Name}: {q.Reason}", request.Collection, ct).ConfigureAwait(false), header);
                case FilterDecision.Reject r:
                    return Identify(StoreResult.Failure(r.Status, $"rejected by {filter.Name}: {r.Reason}"), header);
            }
        }
        if (modified.Count > 0 && InstanceValidator.Validate(header, new DicomDataset()) is { } invalidAfter)
            return Identify(StoreResult.Failure(StoreResult.StatusProcessingFailure, $"after filters: {invalidAfter}"), header);

        StageTrace.Mark(StageTrace.Filtered, header.GetString(DicomTags.SOPInstanceUID));
        var rewrite = modified.Count > 0 || !file.HasPreamble || !file.Meta.Contains(DicomTags.TransferSyntaxUID);
        var syntax = file.TransferSyntax;
        string? scratch = null; // the encoded frames, until the file is written
        if (_options.Compression is { } compression)
        {
            try
            {
                var incoming = Path.Combine(files.Root, ".incoming");
                Directory.CreateDirectory(incoming);
                scratch = Path.Combine(incoming, Guid.NewGuid().ToString("N") + FileStore.TempSuffix);
                if (compression.Compress(header, syntax, request.Collection, scratch, out var skipped) is { } compressed)
                {
                    (header, syntax) = compressed;
                    rewrite = true;
                }
                else if (skipped != null) _options.OnWarning?.Invoke($"instance {header.GetString(DicomTags.SOPInstanceUID)} stored as received, not compressed: {skipped}");
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException)
            {
                // The source's pixel data could not be read back: stored as received, which the copy below reports if it also fails.
                _options.OnWarning?.Invoke($"instance {header.GetString(DicomTags.SOPInstanceUID)} stored as received, not compressed: {ex.Message}");
            }
        }
        StagedFile staged;
        try
        {
            staged = await StageAsync(request, source, file, header, syntax, rewrite, modified.Count > 0, request.Collection, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DicomParseException or InvalidOperationException)
        {
            return Identify(StoreResult.Failure(StoreResult.StatusOutOfResources, $"cannot write the file: {ex.Message}"), header);
        }
        finally
        {
            if (scratch != null) File.Delete(scratch);
        }
        StageTrace.Mark(StageTrace.Staged, header.GetString(DicomTags.SOPInstanceUID));
        return Identify(await CommitAsync(request, header, syntax, staged, modified, ct).ConfigureAwait(false), header);
    }

    private Task<StagedFile> StageAsync(StoreRequest request, string source, DicomFile file, DicomDataset header, TransferSyntax syntax, bool rewrite, bool filtered, string collection, CancellationToken ct)
    {
        var study = header.GetString(DicomTags.StudyInstanceUID)!;
        var series = header.GetString(DicomTags.SeriesInstanceUID)!;
        var sop = header.GetString(DicomTags.SOPInstanceUID)!;
        if (!rewrite && request.MayMoveFile)
            return files.StageByMoveAsync(study, series, sop, collection, source, ct, request.DataSetHash);
        if (!rewrite)
        {
            return files.StageAsync(study, series, sop, collection, async (output, token) =>
            {
                await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                await input.CopyToAsync(output, token).ConfigureAwait(false);
            }, ct);
        }
        return files.StageAsync(study, series, sop, collection, (output, token) =>
        {
            // The data set as the filters (and compression) left it; its large values are still read from the source while
            // writing. A filtered instance gets a new meta: the sender's AE titles and Private Information (0002,0102)
            // would otherwise survive de-identification in the file meta, which no filter sees.
            // The writer sets the meta's Transfer Syntax UID to the one written.
            new DicomFile(filtered ? new DicomDataset() : file.Meta, header, syntax).Save(output);
            return Task.CompletedTask;
        }, ct);
    }

    private async Task<StoreResult> CommitAsync(StoreRequest request, DicomDataset header, TransferSyntax ts, StagedFile staged, List<string> modified, CancellationToken ct)
    {
        var sop = header.GetString(DicomTags.SOPInstanceUID)!;
        var stripe = _stripes[(uint)StringComparer.Ordinal.GetHashCode(sop) % (uint)_stripes.Length];
        await stripe.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Fast paths that need no write: the same content is already there, or other content and no overwrite.
            var existing = catalog.FindInstance(sop);
            if (existing != null)
            {
                // Stored before the content hash became XXH128: compare by the stored instance's SHA-256, and record that.
                if (ContentHash.AlgorithmOf(existing.ContentHash) != ContentHash.AlgorithmOf(staged.ContentHash))
                    staged = staged with { ContentHash = await ContentHash.OfFileAsync(staged.TempPath, ContentHash.AlgorithmOf(existing.ContentHash), ct).ConfigureAwait(false) };
                if (existing.ContentHash == staged.ContentHash)
                {
                    files.Discard(staged);
                    return new StoreResult(StoreStatus.SuccessDuplicate, StoreResult.StatusSuccess, "identical instance already stored") { StoredPath = existing.RelativePath, Size = existing.Size };
                }
                if (_options.DuplicatePolicy == DuplicatePolicy.Reject)
                {
                    files.Discard(staged);
                    return Refused();
                }
            }

            StageTrace.Mark(StageTrace.DuplicateChecked, sop);
            try
            {
                files.Publish(staged);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                files.Discard(staged);
                return StoreResult.Failure(StoreResult.StatusOutOfResources, $"cannot write the file: {ex.Message}");
            }
            // The file's sync (shared with concurrent stores) and the catalog's work run at the same time; the catalog
            // commits the record only once the sync has succeeded, so nothing is recorded before its file is durable.
            StageTrace.Mark(StageTrace.Published, sop);
            var durable = files.MakeDurableAsync();
            var entry = EntryFactory.Create(header, request.Collection, ts, staged, DateTimeOffset.UtcNow, _options.DuplicatePolicy == DuplicatePolicy.Overwrite);
            CommitResult result;
            try
            {
                // A new instance's record needs no flush of its own: its file is durable first, and recovery adopts a
                // stored file without a record. A replacement does: recovery would keep the file it replaced.
                result = await catalog.CommitAsync(entry, durable, recoverableFromFile: existing == null, CancellationToken.None, request.ResumeOnCatalogWriter).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (catalog.FindInstance(sop)?.RelativePath != staged.RelativePath) files.Delete(staged.RelativePath);
                return StoreResult.Failure(StoreResult.StatusOutOfResources, durable.IsFaulted ? durable.Exception!.InnerException!.Message : $"cannot record the instance: {ex.Message}");
            }

            StageTrace.Mark(StageTrace.Resumed, sop);
            switch (result.Outcome)
            {
                case CommitOutcome.Inserted:
                case CommitOutcome.Replaced:
                    if (result.ExistingPath != null && result.ExistingPath != staged.RelativePath) files.Delete(result.ExistingPath);
                    UpdateIndex(entry, header, ts, isNew: result.Outcome == CommitOutcome.Inserted && result.ExistingPath == null);
                    var note = result.Outcome == CommitOutcome.Replaced ? "replaced the stored instance with other content" : "";
                    if (modified.Count > 0)
                        return new StoreResult(StoreStatus.Warning, StoreResult.StatusCoercion, string.Join("; ", [.. modified, note]).Trim(' ', ';')) { ReasonCode = StoreResult.StatusCoercion, StoredPath = staged.RelativePath, Size = staged.Size };
                    return new StoreResult(StoreStatus.Success, StoreResult.StatusSuccess, note) { StoredPath = staged.RelativePath, Size = staged.Size };
                case CommitOutcome.Identical:
                    if (result.ExistingPath != staged.RelativePath) files.Delete(staged.RelativePath);
                    return new StoreResult(StoreStatus.SuccessDuplicate, StoreResult.StatusSuccess, "identical instance already stored") { StoredPath = result.ExistingPath, Size = staged.Size };
                case CommitOutcome.ContentConflict:
                    if (result.ExistingPath != staged.RelativePath) files.Delete(staged.RelativePath);
                    return Refused();
                default:
                    if (result.ExistingPath != staged.RelativePath) files.Delete(staged.RelativePath);
                    return StoreResult.Failure(StoreResult.StatusProcessingFailure, result.Reason ?? "identity conflict");
            }
        }
        finally
        {
            stripe.Release();
        }
    }

    private static StoreResult Refused() =>
        new(StoreStatus.Refused, StoreResult.StatusDuplicateSopInstance, "SOP Instance UID already stored with other content; kept the stored instance (duplicate policy: reject)")
        { ReasonCode = StoreResult.StatusDuplicateSopInstance };

    private async Task<StoreResult> QuarantineAsync(string source, DicomDataset header, string reason, string collection, CancellationToken ct)
    {
        await files.QuarantineAsync(source, FileStore.HashUid(header.GetString(DicomTags.SOPInstanceUID) ?? Guid.NewGuid().ToString()), reason, ct, collection).ConfigureAwait(false);
        return new StoreResult(StoreStatus.Quarantined, StoreResult.StatusSuccess, $"quarantined: {reason}");
    }

    private void UpdateIndex(CatalogEntry entry, DicomDataset header, TransferSyntax ts, bool isNew)
    {
        if (index == null) return;
        try
        {
            // The pixel data group is never indexed: do not keep its small values in memory while the update is queued.
            header.RemoveAll(e => e.Tag.Group == 0x7FE0);
            // Transfer Syntax UID lives in the file meta; the index serves it as an instance attribute (QIDO/C-FIND).
            header.AddOrUpdate(DicomTags.TransferSyntaxUID, VR.UI, ts.Uid);
            // Queued: DicomArchive wraps the index in a BackgroundIndexer, which also commits it every so many updates.
            index.Index(new IndexedInstance(entry.Collection, entry.PatientKey, entry.StudyInstanceUid, entry.SeriesInstanceUid, entry.SopInstanceUid, header) { IsNew = isNew });
        }
        catch (Exception ex)
        {
            _options.OnWarning?.Invoke(BackgroundIndexer.UpdateFailed(ex));
        }
    }

    private static StoreResult Identify(StoreResult result, DicomDataset header) => result with
    {
        SopClassUid = result.SopClassUid ?? header.GetString(DicomTags.SOPClassUID),
        SopInstanceUid = result.SopInstanceUid ?? header.GetString(DicomTags.SOPInstanceUID),
        StudyInstanceUid = result.StudyInstanceUid ?? header.GetString(DicomTags.StudyInstanceUID),
        SeriesInstanceUid = result.SeriesInstanceUid ?? header.GetString(DicomTags.SeriesInstanceUID),
    };
}
