using Microsoft.Extensions.Logging;
using TciaPacs.Archive;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Lucene;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Archive.Storing;

namespace TciaPacs.Server.Hosting;

/// <summary>
/// Composes the archive from its adapters: the file store and SQLite catalog under the data folder. The query index
/// (TciaPacs.Archive.Lucene) plugs in at <see cref="CreateIndex"/>; without one the engine works from the catalog.
/// </summary>
internal static class ArchiveFactory
{
    /// <summary>
    /// The Lucene query index in DATA/index. Only the process that owns the data folder opens it (its IndexWriter holds
    /// a lock); a read-only user such as <c>tciapacs query</c> next to a running server queries the catalog alone.
    /// </summary>
    private static IQueryIndex CreateIndex(string dataDirectory, IEnumerable<string> extraAttributes) =>
        new LuceneQueryIndex(Path.Combine(dataDirectory, "index"), LuceneQueryIndexOptions.WithExtra(extraAttributes));

    /// <summary>
    /// The archive as configured: its store filters (<see cref="StoreFilters"/>), the index with the configured extra
    /// attributes. Not <paramref name="exclusive"/>: read-only use beside a running server (catalog only, no index).
    /// </summary>
    public static DicomArchive Open(ServerOptions options, Action<string>? onWarning = null, bool exclusive = true, ILoggerFactory? loggers = null)
    {
        var dataDirectory = options.DataDirectory;
        Directory.CreateDirectory(dataDirectory);
        var storeOptions = new StoreOptions { DuplicatePolicy = options.Storage.DuplicatePolicy, OnWarning = onWarning, Compression = StoreCompression.Create(options.Storage) };
        var index = exclusive ? CreateIndex(dataDirectory, options.Index.ExtraAttributes) : null;
        var curation = options.Curation.ToOptions();
        return new DicomArchive(dataDirectory, SqliteCatalog.OpenDataDirectory(dataDirectory), storeOptions, StoreFilters.Create(options), index, exclusive, loggers?.CreateLogger<DicomArchive>(),
            curation);
    }

    /// <summary>
    /// The archive with these store options and no store filters, for maintenance that stores again what is already
    /// stored (<c>recompress</c>): it passed the filters once, and de-identifying it again would change its UIDs again.
    /// </summary>
    public static DicomArchive OpenUnfiltered(ServerOptions options, StoreOptions storeOptions, ILoggerFactory? loggers = null)
    {
        var dataDirectory = options.DataDirectory;
        Directory.CreateDirectory(dataDirectory);
        return new DicomArchive(dataDirectory, SqliteCatalog.OpenDataDirectory(dataDirectory), storeOptions, [], CreateIndex(dataDirectory, options.Index.ExtraAttributes), true, loggers?.CreateLogger<DicomArchive>(),
            options.Curation.ToOptions());
    }

    /// <summary>The archive in <paramref name="dataDirectory"/> with the built-in defaults.</summary>
    public static DicomArchive Open(string dataDirectory, bool exclusive = true) =>
        Open(new ServerOptions { DataDirectory = dataDirectory }, exclusive: exclusive);

    /// <summary>Deletes the catalog (before a rebuild from the files).</summary>
    public static void DeleteCatalog(string dataDirectory)
    {
        foreach (var f in Directory.EnumerateFiles(dataDirectory, "catalog.db*")) File.Delete(f);
    }
}
