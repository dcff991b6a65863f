using TciaPacs.Archive.Storage;

namespace TciaPacs.Archive.Lists;

/// <summary>One attached file (clinical data, an annotation): its name, size and when it was last written.</summary>
public sealed record AttachedFile(string Name, long Size, DateTimeOffset Updated);

/// <summary>
/// Files attached to something of the archive, kept as they were given: a collection's clinical (non-image) data as
/// TCIA publishes it beside the images (<c>DATA/clinical/{collection}</c>), a series' annotations
/// (<c>DATA/annotations/{series}</c>). Each file is streamed to a temporary name, flushed and renamed, the folder
/// synced: a reader sees the old file or the whole new one, never part of it.
/// </summary>
public sealed class AttachedFileStore
{
    private readonly string _root;

    /// <param name="folder">The folder under <paramref name="dataDirectory"/> (<c>clinical</c>, <c>annotations</c>).</param>
    public AttachedFileStore(string dataDirectory, string folder)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        ArgumentNullException.ThrowIfNull(folder);
        _root = Path.Combine(dataDirectory, folder);
    }

    /// <summary>The folder of <paramref name="owner"/> (a collection's name, a series' UID).</summary>
    private string Folder(string owner) =>
        NamedDocumentStore<AttachedFile>.Problem(owner) is null ? Path.Combine(_root, owner) : throw new ArgumentException($"'{owner}' cannot name a folder of attached files", nameof(owner));

    private string PathOf(string owner, string name) =>
        NamedDocumentStore<AttachedFile>.Problem(name) is { } why ? throw new ArgumentException(why, nameof(name)) : Path.Combine(Folder(owner), name);

    /// <summary>The files of <paramref name="owner"/> (a collection, a series), by name.</summary>
    public IReadOnlyList<AttachedFile> List(string owner)
    {
        var folder = Folder(owner);
        if (!Directory.Exists(folder)) return [];
        return new DirectoryInfo(folder).EnumerateFiles().Where(f => !f.Name.EndsWith(".tmp", StringComparison.Ordinal))
            .OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => new AttachedFile(f.Name, f.Length, f.LastWriteTimeUtc)).ToList();
    }

    /// <summary>The file's full path, or null when there is no such file.</summary>
    public string? Find(string owner, string name)
    {
        var path = PathOf(owner, name);
        return File.Exists(path) ? path : null;
    }

    /// <summary>
    /// Writes the file from <paramref name="content"/>, at most <paramref name="maxBytes"/> of it (more: an
    /// <see cref="InvalidDataException"/>, and nothing is kept); true when it replaced a file of that name.
    /// </summary>
    public async Task<bool> SaveAsync(string owner, string name, Stream content, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(owner, name);
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder)) DurableIO.CreateDirectoryDurably(folder);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > maxBytes) throw new InvalidDataException($"an attached file is at most {maxBytes >> 20} MiB");
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                output.Flush(flushToDisk: true);
            }
            var replaced = File.Exists(path);
            File.Move(temp, path, overwrite: true);
            DurableIO.SyncDirectory(folder);
            return replaced;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Removes every file of <paramref name="owner"/> (a series deleted from the archive); how many there were.</summary>
    public int DeleteAll(string owner)
    {
        var folder = Folder(owner);
        if (!Directory.Exists(folder)) return 0;
        var count = Directory.EnumerateFiles(folder).Count();
        Directory.Delete(folder, recursive: true);
        DurableIO.SyncDirectory(_root);
        return count;
    }

    public bool Delete(string owner, string name)
    {
        var path = PathOf(owner, name);
        if (!File.Exists(path)) return false;
        File.Delete(path);
        DurableIO.SyncDirectory(Path.GetDirectoryName(path)!);
        return true;
    }
}
