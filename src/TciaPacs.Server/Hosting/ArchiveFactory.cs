using TciaPacs.Archive;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Archive.Storing;

namespace TciaPacs.Server.Hosting;

/// <summary>
/// Composes the archive from its adapters: the file store and SQLite catalog under the data folder. The query index
/// (TciaPacs.Archive.Lucene) plugs in at <see cref="CreateIndex"/>; without one the engine works from the catalog.
/// </summary>
internal static class ArchiveFactory
{
    /// <summary>The query index of a data folder (e.g. DATA/index), or null while no index adapter is wired.</summary>
    private static IQueryIndex? CreateIndex(string dataDirectory) => null;

    public static DicomArchive Open(string dataDirectory, StoreOptions? storeOptions = null, bool exclusive = true)
    {
        Directory.CreateDirectory(dataDirectory);
        return new DicomArchive(dataDirectory, SqliteCatalog.OpenDataDirectory(dataDirectory), storeOptions, filters: [], index: CreateIndex(dataDirectory), exclusive: exclusive);
    }

    public static DicomArchive Open(ServerOptions options, Action<string>? onWarning = null) =>
        Open(options.DataDirectory, new StoreOptions { DuplicatePolicy = options.Storage.DuplicatePolicy, OnWarning = onWarning });

    /// <summary>Deletes the catalog (before a rebuild from the files).</summary>
    public static void DeleteCatalog(string dataDirectory)
    {
        foreach (var f in Directory.EnumerateFiles(dataDirectory, "catalog.db*")) File.Delete(f);
    }
}
