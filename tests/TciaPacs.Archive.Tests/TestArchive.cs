using TciaPacs.Archive.Sqlite;
using TciaPacs.Archive.Storing;

namespace TciaPacs.Archive.Tests;

/// <summary>An archive in a fresh temporary folder, deleted on dispose.</summary>
internal sealed class TestArchive : IAsyncDisposable
{
    public TestArchive(StoreOptions? options = null, IReadOnlyList<IStoreFilter>? filters = null, string? dataDirectory = null)
    {
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "tciapacs-archive-" + Guid.NewGuid().ToString("N")[..12]);
        Options = options;
        Filters = filters;
        Archive = Open();
    }

    public string DataDirectory { get; }
    public StoreOptions? Options { get; }
    public IReadOnlyList<IStoreFilter>? Filters { get; }
    public DicomArchive Archive { get; private set; }

    private DicomArchive Open() => new(DataDirectory, SqliteCatalog.OpenDataDirectory(DataDirectory), Options, Filters);

    /// <summary>Closes and reopens the archive on the same folder (as a restart would).</summary>
    public async Task ReopenAsync()
    {
        await Archive.DisposeAsync();
        Archive = Open();
    }

    public Task<StoreResult> StoreAsync(string path, string collection = StoreRequest.DefaultCollection) =>
        Archive.StoreAsync(StoreRequest.FromFile(path, collection));

    public int FileCount => Directory.EnumerateFiles(Archive.Files.Root, "*.dcm", SearchOption.AllDirectories).Count();

    public async ValueTask DisposeAsync()
    {
        await Archive.DisposeAsync();
        try { Directory.Delete(DataDirectory, true); } catch (IOException) { }
    }
}
