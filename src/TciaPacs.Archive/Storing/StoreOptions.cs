namespace TciaPacs.Archive.Storing;

/// <summary>Store policies (see conformance/archive.md).</summary>
public sealed record StoreOptions
{
    public DuplicatePolicy DuplicatePolicy { get; init; } = DuplicatePolicy.Reject;

    /// <summary>The query index is committed after this many stores (and when the archive closes).</summary>
    public int IndexCommitInterval { get; init; } = 500;

    /// <summary>Where the pipeline reports problems that do not change a result (an index update that failed); never element values.</summary>
    public Action<string>? OnWarning { get; init; }
}
