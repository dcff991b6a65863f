namespace TciaPacs.Archive.Catalog;

/// <summary>
/// The catalog port: the source of truth of what is stored (implemented with SQLite in TciaPacs.Archive.Sqlite).
/// Writes are serialized and each <see cref="CommitAsync"/> completes only once durable; reads run concurrently.
/// </summary>
public interface ICatalog : IDisposable
{
    /// <summary>Records an instance. Duplicate and identity checks run inside the write transaction, so concurrent commits cannot race them.</summary>
    Task<CommitResult> CommitAsync(CatalogEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Removes an instance (and its series, study and patient when they become empty); false when absent.</summary>
    Task<bool> RemoveInstanceAsync(string sopInstanceUid, CancellationToken cancellationToken = default);

    /// <summary>Removes everything (before a rebuild from the files).</summary>
    Task ClearAsync(CancellationToken cancellationToken = default);

    CatalogInstance? FindInstance(string sopInstanceUid);

    /// <summary>Why this instance cannot join the stored hierarchy (a study under another patient…), or null. Advisory: <see cref="CommitAsync"/> decides.</summary>
    string? CheckIdentity(CatalogEntry entry);

    /// <summary>Entities matching the filter's pre-filter, in ascending key order, streamed.</summary>
    IEnumerable<CatalogEntity> Query(CatalogFilter filter, CancellationToken cancellationToken = default);

    IEnumerable<CatalogInstance> AllInstances();

    long CountInstances();
}
