using System.Collections.Concurrent;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Archive.Storage;

/// <summary>
/// Makes files and catalog agree after a crash, and rebuilds the catalog from the files alone. The store writes
/// file-then-row, so a crash leaves: <c>.part</c> files (never visible: removed), complete files without a row (the
/// store was never acknowledged: adopted when they fit the catalog, else removed), and never a row without a file
/// (such rows, from a file deleted by hand, are removed with their counts).
/// </summary>
public sealed class ArchiveRecovery(FileStore files, ICatalog catalog, IQueryIndex? index = null)
{
    public async Task<RecoveryReport> RecoverAsync(int parallelism = 2, CancellationToken cancellationToken = default)
    {
        var temps = files.RemoveTemporaryFiles();
        var known = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var i in catalog.AllInstances()) known[i.RelativePath] = i.SopInstanceUid;
        var onDisk = files.EnumerateFiles().ToHashSet(StringComparer.Ordinal);
        var rowsRemoved = 0;
        foreach (var (path, sop) in known)
        {
            if (onDisk.Contains(path)) continue;
            if (await catalog.RemoveInstanceAsync(sop, cancellationToken).ConfigureAwait(false)) rowsRemoved++;
            index?.Delete(sop);
        }
        var orphans = onDisk.Where(p => !known.ContainsKey(p)).ToList();
        var (adopted, removed, problems) = await AdoptAsync(orphans, parallelism, true, cancellationToken).ConfigureAwait(false);
        index?.Commit();
        // The index commits in batches: after a kill it may lack the last stores. It must never miss an instance the
        // catalog has, so when the counts disagree it is rebuilt from the catalog and the files.
        if (index != null && index.InstanceCount != catalog.CountInstances())
            await RebuildIndexAsync(cancellationToken).ConfigureAwait(false);
        return new RecoveryReport(temps, adopted, removed, rowsRemoved, onDisk.Count) { Problems = problems };
    }

    /// <summary>Empties the query index and indexes every instance of the catalog again, from its file's header.</summary>
    public async Task<int> RebuildIndexAsync(CancellationToken cancellationToken = default)
    {
        if (index == null) return 0;
        index.Clear();
        var n = 0;
        foreach (var entity in catalog.Query(new CatalogFilter(QueryLevel.Image), cancellationToken))
        {
            var file = await DicomFile.OpenAsync(files.FullPath(entity.RelativePath!), DicomReadOptions.HeaderOnly, cancellationToken).ConfigureAwait(false);
            index.Index(Indexed(entity.Collection, file));
            n++;
        }
        index.Commit();
        return n;
    }

    /// <summary>What the index gets for a file: its data set with the transfer syntax from its meta (an indexed attribute).</summary>
    internal static IndexedInstance Indexed(string collection, DicomFile file)
    {
        var ds = file.Dataset;
        ds.AddOrUpdate(DicomTags.TransferSyntaxUID, VR.UI, file.TransferSyntax.Uid);
        return new IndexedInstance(collection, PatientKey.Create(ds.GetString(DicomTags.PatientID) ?? "", ds.GetString(DicomTags.IssuerOfPatientID)),
            ds.GetString(DicomTags.StudyInstanceUID) ?? "", ds.GetString(DicomTags.SeriesInstanceUID) ?? "", ds.GetString(DicomTags.SOPInstanceUID) ?? "", ds) { IsNew = true };
    }

    /// <summary>
    /// Empties the catalog (and index) and records every file again, as <c>tciapacs reindex</c> does. Files that do
    /// not fit (unreadable, or a second file for one SOP Instance UID) are reported and left in place.
    /// </summary>
    public async Task<RecoveryReport> RebuildAsync(int parallelism = 2, CancellationToken cancellationToken = default)
    {
        var temps = files.RemoveTemporaryFiles();
        await catalog.ClearAsync(cancellationToken).ConfigureAwait(false);
        index?.Clear();
        // The catalog keeps, per level, the document of the smallest SOP Instance UID, so the order here does not matter.
        var all = files.EnumerateFiles().Order(StringComparer.Ordinal).ToList();
        var (adopted, removed, problems) = await AdoptAsync(all, parallelism, false, cancellationToken).ConfigureAwait(false);
        index?.Commit();
        return new RecoveryReport(temps, adopted, removed, 0, all.Count) { Problems = problems };
    }

    private async Task<(int Adopted, int Removed, List<string> Problems)> AdoptAsync(List<string> paths, int parallelism, bool deleteRejected, CancellationToken ct)
    {
        int adopted = 0, removed = 0;
        var problems = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(paths, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = ct }, async (path, token) =>
        {
            var outcome = await AdoptOneAsync(path, token).ConfigureAwait(false);
            if (outcome == null) { Interlocked.Increment(ref adopted); return; }
            problems.Enqueue($"{path}: {outcome}");
            if (!deleteRejected) return;
            files.Delete(path);
            Interlocked.Increment(ref removed);
        }).ConfigureAwait(false);
        return (adopted, removed, problems.ToList());
    }

    /// <summary>Null when the file is now in the catalog, else why it was not taken.</summary>
    private async Task<string?> AdoptOneAsync(string relativePath, CancellationToken ct)
    {
        var full = files.FullPath(relativePath);
        DicomFile file;
        try
        {
            file = await DicomFile.OpenAsync(full, DicomReadOptions.HeaderOnly, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DicomParseException or IOException or InvalidDataException)
        {
            return $"unreadable: {ex.Message}";
        }
        if (InstanceValidator.Validate(file.Dataset, file.Meta) is { } invalid) return invalid;
        // The name ends with the first 8 hex digits of the content hash: a file written but not yet durable when the
        // machine stopped can be cut short or hold zeros, and then no longer matches (its store was never acknowledged).
        // Files stored before the hash became XXH128 are named after their SHA-256, which they keep in the catalog.
        var name = Path.GetFileNameWithoutExtension(relativePath);
        var dash = name.LastIndexOf('-');
        var prefix = dash < 0 ? "" : name[(dash + 1)..];
        var hash = await ContentHash.OfFileAsync(full, ContentHashAlgorithm.XxHash128, ct).ConfigureAwait(false);
        if (prefix.Length > 0 && !hash.StartsWith(prefix, StringComparison.Ordinal))
            hash = await ContentHash.OfFileAsync(full, ContentHashAlgorithm.Sha256, ct).ConfigureAwait(false);
        if (prefix.Length == 0 || !hash.StartsWith(prefix, StringComparison.Ordinal))
            return "its content does not match the hash in its name (a file torn by a crash before it was durable)";
        var info = new FileInfo(full);
        var entry = EntryFactory.Create(file.Dataset, _collections.GetOrAdd(FileStore.StudyFolderOf(relativePath), files.ReadCollection), file.TransferSyntax, relativePath, hash, info.Length, new DateTimeOffset(info.LastWriteTimeUtc), false);
        var result = await catalog.CommitAsync(entry, cancellationToken: ct).ConfigureAwait(false);
        if (result.Outcome == CommitOutcome.Inserted)
        {
            index?.Index(new IndexedInstance(entry.Collection, entry.PatientKey, entry.StudyInstanceUid, entry.SeriesInstanceUid, entry.SopInstanceUid, WithTransferSyntax(file)) { IsNew = true });
            return null;
        }
        if (result.Outcome == CommitOutcome.Identical && result.ExistingPath == relativePath) return null;
        return result.Reason ?? result.Outcome.ToString();
    }

    private static DicomDataset WithTransferSyntax(DicomFile file)
    {
        file.Dataset.AddOrUpdate(DicomTags.TransferSyntaxUID, VR.UI, file.TransferSyntax.Uid);
        return file.Dataset;
    }

    // Collections by study folder, from the markers the store writes (the collection is not in the DICOM file).
    private readonly ConcurrentDictionary<string, string> _collections = new(StringComparer.Ordinal);

}
