using System.Security.Cryptography;
using System.Text;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Archive.Storage;

/// <summary>
/// Instances as Part 10 files, in the transfer syntax they arrived in, under <c>DATA/files</c>:
/// <c>ab/abcdef0123456789/&lt;series&gt;/&lt;instance&gt;-&lt;content&gt;.dcm</c>, each part 16 hex digits of the
/// SHA-256 of the UID (short, safe on every file system, spread over 256 top folders), the file name ending with 8 hex
/// digits of the content hash so that other content for the same SOP Instance UID never overwrites a stored file.
/// Writes are atomic as in dcm4che: a temporary <c>.part</c> file in the same folder, rename, then durable (one shared
/// syncfs for concurrent stores on Linux, else fsync of the file and of the folder); only then is the catalog told.
/// A file whose content does not match the hash in its name (torn by a crash before it was durable) is never adopted. A crash leaves at most a <c>.part</c> file (removed at startup) or a complete file
/// the catalog does not know yet (adopted or removed by <see cref="ArchiveRecovery"/>).
/// </summary>
public sealed class FileStore : IDisposable
{
    public const string TempSuffix = ".part";
    public const string FileSuffix = ".dcm";

    public FileStore(string dataDirectory)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        Root = Path.Combine(DataDirectory, "files");
        QuarantineRoot = Path.Combine(DataDirectory, "quarantine");
        Directory.CreateDirectory(Root);
        _barrier = DurabilityBarrier.TryCreate(Root);
    }

    // With a barrier, StageAsync and Publish leave the syncing to MakeDurableAsync (one syncfs for many stores).
    private readonly DurabilityBarrier? _barrier;

    /// <summary>
    /// Makes the staged and published files of this and concurrent stores durable: one shared syncfs(2) on Linux, a
    /// no-op elsewhere (where <see cref="StageAsync"/> and <see cref="Publish"/> fsync each file and folder themselves).
    /// Call it after <see cref="Publish"/> and before recording the instance.
    /// </summary>
    public Task MakeDurableAsync() => _barrier?.WaitAsync() ?? Task.CompletedTask;

    public void Dispose() => _barrier?.Dispose();

    public string DataDirectory { get; }
    public string Root { get; }
    public string QuarantineRoot { get; }

    public static string HashUid(string uid) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(uid)))[..16];

    /// <summary>The folder of a series, relative to <see cref="Root"/>.</summary>
    public static string SeriesFolder(string studyUid, string seriesUid)
    {
        var study = HashUid(studyUid);
        return $"{study[..2]}/{study}/{HashUid(seriesUid)}";
    }

    public static string RelativePathOf(string studyUid, string seriesUid, string sopInstanceUid, string contentHash) =>
        $"{SeriesFolder(studyUid, seriesUid)}/{HashUid(sopInstanceUid)}-{contentHash[..8]}{FileSuffix}";

    /// <summary>The study folder (first two parts) of a path relative to <see cref="Root"/>.</summary>
    public static string StudyFolderOf(string relativePath)
    {
        var parts = relativePath.Split('/');
        return parts.Length >= 2 ? $"{parts[0]}/{parts[1]}" : relativePath;
    }

    /// <summary>The collection recorded in a study folder (<c>collection.txt</c>), so that a rebuild from files alone keeps it.</summary>
    public string ReadCollection(string studyFolder)
    {
        var marker = Path.Combine(FullPath(studyFolder), CollectionMarker);
        return File.Exists(marker) ? File.ReadAllText(marker).Trim() : Storing.StoreRequest.DefaultCollection;
    }

    private const string CollectionMarker = "collection.txt";

    private void WriteCollectionMarker(string studyUid, string collection)
    {
        var folder = FullPath(StudyFolderOf(SeriesFolder(studyUid, "x")));
        var marker = Path.Combine(folder, CollectionMarker);
        if (File.Exists(marker)) return;
        var temp = Path.Combine(folder, $".{Guid.NewGuid():N}{TempSuffix}");
        using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            fs.Write(System.Text.Encoding.UTF8.GetBytes(collection));
            // Synced before the rename even with a barrier: an empty marker left by a crash would put the study's
            // unacknowledged files, adopted at start-up, in no collection at all. Once per study.
            fs.Flush(flushToDisk: true);
        }
        try { File.Move(temp, marker); } catch (IOException) { TryDelete(temp); }
        if (_barrier == null) DurableIO.SyncDirectory(folder);
    }

    /// <summary>
    /// Records another collection for a study (a curator's move): the marker replaced by rename, synced with its folder,
    /// so that a rebuild from the files alone finds the study where the catalog has it. False when the study has no folder.
    /// </summary>
    public bool ReplaceCollectionMarker(string studyUid, string collection)
    {
        var folder = FullPath(StudyFolderOf(SeriesFolder(studyUid, "x")));
        if (!Directory.Exists(folder)) return false;
        var temp = Path.Combine(folder, $".{Guid.NewGuid():N}{TempSuffix}");
        using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            fs.Write(Encoding.UTF8.GetBytes(collection));
            fs.Flush(flushToDisk: true);
        }
        File.Move(temp, Path.Combine(folder, CollectionMarker), overwrite: true);
        DurableIO.SyncDirectory(folder);
        return true;
    }

    /// <summary>
    /// Creates a series folder. With a barrier, the syncfs every store waits for also makes new folders (and the marker's
    /// name) durable, so a new series costs no fsync of its own.
    /// </summary>
    private void CreateFolder(string folder)
    {
        if (_barrier != null) Directory.CreateDirectory(folder);
        else DurableIO.CreateDirectoryDurably(folder);
    }

    public string FullPath(string relativePath) => Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Writes <paramref name="write"/>'s output to a temporary file in the series folder, hashing it, and fsyncs it.</summary>
    public async Task<StagedFile> StageAsync(string studyUid, string seriesUid, string sopInstanceUid, string collection, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var folder = FullPath(SeriesFolder(studyUid, seriesUid));
        CreateFolder(folder);
        WriteCollectionMarker(studyUid, collection);
        var temp = Path.Combine(folder, $".{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            string hash;
            long size;
            await using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await using (var hashing = new ContentHashingStream(fs))
                {
                    await write(hashing, cancellationToken).ConfigureAwait(false);
                    hash = hashing.HashHex();
                    size = hashing.Length;
                }
                await fs.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (_barrier == null) fs.Flush(flushToDisk: true);
                // The disk starts on the data now, while the store publishes and others join the barrier's syncfs.
                else Writeback.Start(fs.SafeFileHandle);
            }
            return new StagedFile(temp, RelativePathOf(studyUid, seriesUid, sopInstanceUid, hash), hash, size);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Stages <paramref name="source"/> by moving it into the series folder (a spool the caller gives up), hashing it
    /// by reading it once unless its <paramref name="dataSetHash"/> is given; falls back to a copy when it lives on
    /// another file system. Durable as <see cref="StageAsync"/> is (fsync here without a barrier).
    /// </summary>
    public async Task<StagedFile> StageByMoveAsync(string studyUid, string seriesUid, string sopInstanceUid, string collection, string source, CancellationToken cancellationToken,
        string? dataSetHash = null)
    {
        if (!SameFileSystem(source))
        {
            return await StageAsync(studyUid, seriesUid, sopInstanceUid, collection, async (output, token) =>
            {
                await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                await input.CopyToAsync(output, token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        var folder = FullPath(SeriesFolder(studyUid, seriesUid));
        CreateFolder(folder);
        WriteCollectionMarker(studyUid, collection);
        string hash;
        long size;
        if (_barrier != null && IsXxHash128Hex(dataSetHash))
        {
            // Hashed by the caller as it wrote the file, and made durable by the barrier: nothing to read.
            hash = dataSetHash;
            size = new FileInfo(source).Length;
        }
        else
        {
            // Read synchronously: the spool was just written and is in the page cache.
            using var input = new FileStream(source, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.SequentialScan);
            using (var hashing = new ContentHashingStream(Stream.Null))
            {
                input.CopyTo(hashing, 1 << 16);
                hash = hashing.HashHex();
                size = hashing.Length;
            }
            if (_barrier == null) input.Flush(flushToDisk: true);
            else Writeback.Start(input.SafeFileHandle);
        }
        var temp = Path.Combine(folder, $".{Guid.NewGuid():N}{TempSuffix}");
        File.Move(source, temp);
        return new StagedFile(temp, RelativePathOf(studyUid, seriesUid, sopInstanceUid, hash), hash, size);
    }

    // A hint in any other form (not 32 lowercase hex digits) is ignored and the file hashed here: it names the file.
    private static bool IsXxHash128Hex([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? hash) => hash is { Length: 32 } && !hash.AsSpan().ContainsAnyExcept("0123456789abcdef");

    // A rename works within one file system; st_dev is not exposed, so compare the mount the paths resolve to.
    private bool SameFileSystem(string path)
    {
        var full = Path.GetFullPath(path);
        return full.StartsWith(DataDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal) || MountOf(full) == MountOf(Root);
    }

    private static string MountOf(string path)
    {
        if (!OperatingSystem.IsLinux()) return Path.GetPathRoot(path) ?? "";
        // The longest mount point in /proc/self/mounts that prefixes the path.
        var best = "/";
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            var mount = line.Split(' ')[1].Replace("\\040", " ", StringComparison.Ordinal);
            if (mount.Length > best.Length && (path == mount || path.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal))) best = mount;
        }
        return best;
    }

    /// <summary>Gives the staged file its final name (same content, same name: an existing file is kept) and syncs the folder.</summary>
    public void Publish(StagedFile staged)
    {
        var final = FullPath(staged.RelativePath);
        if (File.Exists(final)) TryDelete(staged.TempPath);
        else File.Move(staged.TempPath, final);
        if (_barrier == null) DurableIO.SyncDirectory(Path.GetDirectoryName(final)!);
    }

    public void Discard(StagedFile staged) => TryDelete(staged.TempPath);

    /// <summary>Removes a published file that the catalog does not reference (refused, replaced or orphaned).</summary>
    public void Delete(string relativePath)
    {
        var full = FullPath(relativePath);
        TryDelete(full);
        var dir = Path.GetDirectoryName(full);
        if (dir != null && Directory.Exists(dir)) DurableIO.SyncDirectory(dir);
    }

    /// <summary>Deletes files, each folder synced once after (a curator's rejection of a series can be thousands of files).</summary>
    public void Delete(IEnumerable<string> relativePaths)
    {
        var folders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var relativePath in relativePaths)
        {
            var full = FullPath(relativePath);
            TryDelete(full);
            if (Path.GetDirectoryName(full) is { } dir) folders.Add(dir);
        }
        foreach (var dir in folders)
            if (Directory.Exists(dir)) DurableIO.SyncDirectory(dir);
    }

    /// <summary>
    /// Removes the folder of a study that holds no instance any more, its collection marker with it, so that the same
    /// Study Instance UID sent again later starts afresh in the collection it is sent to. False when files remain.
    /// </summary>
    public bool RemoveStudyFolder(string studyUid)
    {
        var folder = FullPath(StudyFolderOf(SeriesFolder(studyUid, "x")));
        if (!Directory.Exists(folder)) return true;
        if (Directory.EnumerateFiles(folder, "*" + FileSuffix, SearchOption.AllDirectories).Any()) return false;
        Directory.Delete(folder, recursive: true);
        if (Path.GetDirectoryName(folder) is { } parent) DurableIO.SyncDirectory(parent);
        return true;
    }

    /// <summary>
    /// Copies a file into the quarantine folder (temp, fsync, rename) with a note of the reason; it is not in the catalog.
    /// With <paramref name="collection"/>, a JSON note (<c>NAME.dcm.json</c>: collection, reason, time) lets a reviewer
    /// release the instance into the collection it was sent to.
    /// </summary>
    public async Task<string> QuarantineAsync(string source, string name, string reason, CancellationToken cancellationToken, string? collection = null)
    {
        // Quarantined files are kept as received, identifiers included: the folder is the archive user's only (0700).
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(QuarantineRoot);
        else Directory.CreateDirectory(QuarantineRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var target = Path.Combine(QuarantineRoot, name + FileSuffix);
        var temp = target + TempSuffix;
        await using (var input = File.OpenRead(source))
        await using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            output.Flush(flushToDisk: true);
        }
        File.Move(temp, target, overwrite: true);
        await File.WriteAllTextAsync(target + ".reason.txt", reason + Environment.NewLine, cancellationToken).ConfigureAwait(false);
        if (collection != null)
        {
            var note = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["collection"] = collection,
                ["reason"] = reason,
                ["time"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            });
            await File.WriteAllTextAsync(target + ".json", note, cancellationToken).ConfigureAwait(false);
        }
        DurableIO.SyncDirectory(QuarantineRoot);
        return target;
    }

    /// <summary>Every published file, relative to <see cref="Root"/>.</summary>
    public IEnumerable<string> EnumerateFiles() =>
        Directory.EnumerateFiles(Root, "*" + FileSuffix, SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace(Path.DirectorySeparatorChar, '/'));

    /// <summary>Deletes the temporary files a crash left behind; returns how many.</summary>
    public int RemoveTemporaryFiles()
    {
        var n = 0;
        foreach (var f in Directory.EnumerateFiles(Root, "*" + TempSuffix, SearchOption.AllDirectories))
        {
            TryDelete(f);
            n++;
        }
        return n;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
