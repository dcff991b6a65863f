using TciaPacs.Archive.Storage;

namespace TciaPacs.Archive.Lists;

/// <summary>One clinical (non-image) data file of a collection: its name, size and when it was last written.</summary>
public sealed record ClinicalFile(string Name, long Size, DateTimeOffset Updated);

/// <summary>
/// A collection's clinical (non-image) data, as TCIA publishes it beside the images: spreadsheets, CSV or JSON files of
/// outcomes, treatments and demographics, kept as they were given under <c>DATA/clinical/{collection}</c>. Each file is
/// streamed to a temporary name, flushed and renamed, the folder synced: a reader sees the old file or the whole new
/// one, never part of it.
/// </summary>
public sealed class ClinicalDataStore
{
    private readonly string _root;

    public ClinicalDataStore(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        _root = Path.Combine(dataDirectory, "clinical");
    }

    private string Folder(string collection) =>
        NamedDocumentStore<ClinicalFile>.Problem(collection) is null ? Path.Combine(_root, collection) : throw new ArgumentException($"'{collection}' cannot name a folder of clinical data", nameof(collection));

    private string PathOf(string collection, string name) =>
        NamedDocumentStore<ClinicalFile>.Problem(name) is { } why ? throw new ArgumentException(why, nameof(name)) : Path.Combine(Folder(collection), name);

    /// <summary>The collection's files, by name.</summary>
    public IReadOnlyList<ClinicalFile> List(string collection)
    {
        var folder = Folder(collection);
        if (!Directory.Exists(folder)) return [];
        return new DirectoryInfo(folder).EnumerateFiles().Where(f => !f.Name.EndsWith(".tmp", StringComparison.Ordinal))
            .OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => new ClinicalFile(f.Name, f.Length, f.LastWriteTimeUtc)).ToList();
    }

    /// <summary>The file's full path, or null when the collection has no such file.</summary>
    public string? Find(string collection, string name)
    {
        var path = PathOf(collection, name);
        return File.Exists(path) ? path : null;
    }

    /// <summary>
    /// Writes the file from <paramref name="content"/>, at most <paramref name="maxBytes"/> of it (more: an
    /// <see cref="InvalidDataException"/>, and nothing is kept); true when it replaced a file of that name.
    /// </summary>
    public async Task<bool> SaveAsync(string collection, string name, Stream content, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(collection, name);
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
                    if (total > maxBytes) throw new InvalidDataException($"a clinical data file is at most {maxBytes >> 20} MiB");
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

    public bool Delete(string collection, string name)
    {
        var path = PathOf(collection, name);
        if (!File.Exists(path)) return false;
        File.Delete(path);
        DurableIO.SyncDirectory(Path.GetDirectoryName(path)!);
        return true;
    }
}
