namespace TciaPacs.Archive.Storing;

/// <summary>Store policies (see conformance/archive.md).</summary>
public sealed record StoreOptions
{
    public DuplicatePolicy DuplicatePolicy { get; init; } = DuplicatePolicy.Reject;

    /// <summary>
    /// The query index is committed after this many stores (and when the archive closes). The catalog is the record:
    /// after a crash, start-up rebuilds an index that lacks instances. Each commit flushes segments that merges pay
    /// for later, so during an ingest fewer commits cost less CPU (500 before the fourth benchmark pass).
    /// </summary>
    public int IndexCommitInterval { get; init; } = 5000;

    /// <summary>Ingest compression (native pixel data re-encoded losslessly per collection); null: every instance as received.</summary>
    public IStoreCompression? Compression { get; init; }

    /// <summary>Where the pipeline reports problems that do not change a result (an index update that failed); never element values.</summary>
    public Action<string>? OnWarning { get; init; }
}
