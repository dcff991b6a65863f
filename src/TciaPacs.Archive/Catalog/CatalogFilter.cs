using TciaPacs.Archive.Query;

namespace TciaPacs.Archive.Catalog;

/// <summary>
/// What the catalog is asked for: entities of a level, pre-filtered on the matching keys it has columns for (it may
/// ignore any key: the engine confirms every candidate with <see cref="QueryMatcher"/>), in ascending key order
/// (ordinal), restricted to <see cref="Collections"/> and, when given, to <see cref="OnlyKeys"/>.
/// </summary>
public sealed record CatalogFilter(QueryLevel Level)
{
    public IReadOnlyList<QueryKey> MatchingKeys { get; init; } = [];
    public IReadOnlySet<string>? Collections { get; init; }
    public IReadOnlyList<string>? OnlyKeys { get; init; }
}
