using TciaPacs.Archive.Indexing;

namespace TciaPacs.Archive.Lucene;

/// <summary>Settings of <see cref="LuceneQueryIndex"/> (bound from the server's configuration, section "Index").</summary>
public sealed record LuceneQueryIndexOptions
{
    /// <summary>The attributes to index: <see cref="IndexedAttributes.Default"/> unless configured.</summary>
    public IReadOnlyList<IndexedAttribute> Attributes { get; init; } = IndexedAttributes.Default;

    /// <summary>
    /// How often the searcher is refreshed in the background, so what was indexed becomes visible before the next
    /// <see cref="IQueryIndex.Commit"/> (near-real-time). Null: only on commit.
    /// </summary>
    public TimeSpan? RefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>RAM the writer buffers before it flushes a segment.</summary>
    public double RamBufferSizeMB { get; init; } = 64;

    /// <summary>Adds <paramref name="specs"/> (<c>TAG[@CREATOR] [VR] LEVEL</c>, see <see cref="IndexedAttributes"/>) to the default list.</summary>
    public static LuceneQueryIndexOptions WithExtra(IEnumerable<string> specs) =>
        new() { Attributes = [.. IndexedAttributes.Default, .. specs.Select(IndexedAttributes.Parse)] };
}
