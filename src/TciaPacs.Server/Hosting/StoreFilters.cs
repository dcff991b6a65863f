using System.Collections.Concurrent;
using System.Text;
using TciaPacs.Archive.Deidentification;
using TciaPacs.Archive.Storing;
using TciaPacs.Deidentification;

namespace TciaPacs.Server.Hosting;

/// <summary>
/// The ordered store-time filters of every door (import, DIMSE, STOW-RS): de-identification, then the PHI scanner
/// (issue 6). One list for all commands, so that import and serve store the same way.
/// </summary>
internal static class StoreFilters
{
    /// <summary>
    /// The filters as configured. A quarantine release passes the same filters with <c>StoreRequest.Reviewed</c>: it is
    /// de-identified again and the PHI scanner lets it pass.
    /// </summary>
    public static IReadOnlyList<IStoreFilter> Create(ServerOptions options)
    {
        var section = options.Deidentification;
        var dataDirectory = options.DataDirectory;
        var map = new Lazy<SqlitePseudonymMap>(() => PseudonymMap(dataDirectory));
        var policies = new ConcurrentDictionary<string, CollectionPolicy>(StringComparer.Ordinal);
        CollectionPolicy Policy(string collection) => policies.GetOrAdd(collection, c => Build(section.For(c), c, dataDirectory, map));
        var journal = new DeidentificationJournal();
        return [new DeidentificationFilter(Policy, journal), new PhiScanFilter(Policy, journal)];
    }

    // One map per data folder and process: SQLite serialises its writers anyway.
    private static readonly ConcurrentDictionary<string, SqlitePseudonymMap> Maps = new(StringComparer.Ordinal);

    /// <summary>The data folder's pseudonym map, shared by the de-identification filters and storage commitment.</summary>
    public static SqlitePseudonymMap PseudonymMap(string dataDirectory) =>
        Maps.GetOrAdd(Path.GetFullPath(dataDirectory), d => SqlitePseudonymMap.OpenDataDirectory(d));

    private static CollectionPolicy Build(ServerOptions.CollectionDeidentification c, string collection, string dataDirectory, Lazy<SqlitePseudonymMap> map)
    {
        var scan = c.PhiScan ?? (c.Deidentifies ? PhiScanMode.Quarantine : PhiScanMode.Off);
        if (!c.Deidentifies) return new CollectionPolicy(null, scan, c.PhiMinimumSeverity);
        var secret = string.IsNullOrEmpty(c.Secret) ? PrivateFiles.CollectionSecret(dataDirectory, collection) : Encoding.UTF8.GetBytes(c.Secret);
        if (secret.Length < 16) throw new InvalidDataException($"Deidentification secret of collection '{collection}' is shorter than 16 characters");
        IInstanceDeidentifier deidentifier = c.CtpScript != null
            ? new TciaPacs.Deidentification.Ctp.CtpAnonymizer(TciaPacs.Deidentification.Ctp.CtpScript.Load(c.CtpScript), secret, collection, map.Value)
            : new Deidentifier(c.ToProfileDocument().ToSettings(collection, secret), map.Value);
        return new CollectionPolicy(deidentifier, scan, c.PhiMinimumSeverity);
    }
}
