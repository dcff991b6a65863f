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
    private static IQueryIndex CreateIndex(string dataDirectory) => new LuceneQueryIndex(Path.Combine(dataDirectory, "index"));

    public static DicomArchive Open(string dataDirectory, StoreOptions? storeOptions = null, bool exclusive = true)
    {
        Directory.CreateDirectory(dataDirectory);
        return new DicomArchive(dataDirectory, SqliteCatalog.OpenDataDirectory(dataDirectory), storeOptions, filters: [], index: exclusive ? CreateIndex(dataDirectory) : null, exclusive: exclusive);
    }

    public static DicomArchive Open(ServerOptions options, Action<string>? onWarning = null) =>
        Open(options.DataDirectory, new StoreOptions { DuplicatePolicy = options.Storage.DuplicatePolicy, OnWarning = onWarning });

    /// <summary>Deletes the catalog (before a rebuild from the files).</summary>
    public static void DeleteCatalog(string dataDirectory)
    {
        foreach (var f in Directory.EnumerateFiles(dataDirectory, "catalog.db*")) File.Delete(f);
    }
}
