using TciaPacs.Archive.Indexing;

namespace TciaPacs.Archive.Lucene;

/// <summary>Settings of <see cref="LuceneQueryIndex"/> (bound from the server's configuration, section "Index").</summary>
public sealed record LuceneQueryIndexOptions
{
    /// <summary>The attributes to index: <see cref="IndexedAttributes.Default"/> unless configured.</summary>
    public IReadOnlyList<IndexedAttribute> Attributes { get; init; } = IndexedAttributes.Default;

    /// <summary>
    /// How often the searcher is also refreshed in the background. Null (the default): only when a search (or
    /// <see cref="LuceneQueryIndex.InstanceCount"/>) follows changes, and on commit, which is enough for a search to
    /// see every instance stored before it. A timer during a long ingest flushes a small segment each time, which
    /// merges then pay for: STOW-RS stored about 1.5x the instances/s without it (docs/benchmarks.md, fourth pass).
    /// </summary>
    public TimeSpan? RefreshInterval { get; init; }

    /// <summary>RAM the writer buffers before it flushes a segment.</summary>
    public double RamBufferSizeMB { get; init; } = 64;

    /// <summary>Adds <paramref name="specs"/> (<c>TAG[@CREATOR] [VR] LEVEL</c>, see <see cref="IndexedAttributes"/>) to the default list.</summary>
    public static LuceneQueryIndexOptions WithExtra(IEnumerable<string> specs) =>
        new() { Attributes = [.. IndexedAttributes.Default, .. specs.Select(IndexedAttributes.Parse)] };
}
