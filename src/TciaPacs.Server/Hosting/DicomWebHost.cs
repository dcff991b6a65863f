using Serilog.Extensions.Logging;
using TciaPacs.Archive;
using TciaPacs.Web;

namespace TciaPacs.Server.Hosting;

/// <summary>Starts the DICOMweb HTTP service of <c>serve</c> (TciaPacs.Web on Kestrel); disposing it stops it gracefully.</summary>
internal static class DicomWebHost
{
    public static async Task<IAsyncDisposable> StartAsync(ServerOptions options, DicomArchive archive, Serilog.ILogger log, CancellationToken cancellationToken)
    {
        var http = options.Http;
        var web = new DicomWebOptions
        {
            Host = http.Host,
            Port = http.Port,
            DefaultCollection = options.Storage.DefaultCollection,
            TempDirectory = Path.Combine(options.DataDirectory, "tmp", "web"),
            CacheDirectory = Path.Combine(options.DataDirectory, "cache", "metadata"),
            MaxRequestBodySize = http.MaxRequestBodySize > 0 ? http.MaxRequestBodySize : null,
            MaxQueryResults = http.MaxQueryResults,
            CorsOrigins = http.CorsOrigins,
            BulkDataThreshold = http.BulkDataThreshold,
            RenderedQuality = http.RenderedQuality,
            ThumbnailSize = http.ThumbnailSize,
            Access = Access(http, log) with
            {
                IntakeCollections = options.Curation.IntakeCollections.Keys.ToHashSet(StringComparer.Ordinal),
                KnownCollections = () => archive.CollectionNames,
                IsAdminToken = AdminToken(http.AdminToken),
            },
        };
        // Parts of an upload cut off by a crash are never stored; their spool files are removed at the next start.
        if (Directory.Exists(web.TempDirectory))
            foreach (var stale in Directory.EnumerateFiles(web.TempDirectory)) File.Delete(stale);
        var admin = string.IsNullOrEmpty(http.AdminToken) ? null : new QuarantineAdminApi(options, archive, log);
        var server = await DicomWebServer.StartAsync(web, archive, new SerilogLoggerProvider(log.ForContext("SourceContext", "TciaPacs.Web")), cancellationToken, admin == null ? null : admin.Map);
        log.Information("DICOMweb listening on {Addresses}: /dicom-web and /collections/{{name}}/dicom-web", string.Join(", ", server.Addresses));
        if (web.Access.IsRestricted)
            log.Information("DICOMweb users: {Users}; without signing in: {Public}, {Store}", http.Users.Count == 0 ? "none" : string.Join(", ", http.Users),
                http.PublicCollections == null ? "every collection" : http.PublicCollections.Count == 0 ? "no collection" : "collections " + string.Join(", ", http.PublicCollections),
                web.Access.AnonymousStore ? "storing allowed" : "no storing");
        else log.Warning("DICOMweb is open: anyone who reaches port {Port} queries, retrieves and stores every collection (list Http.Users and Http.PublicCollections to restrict it)", http.Port);
        if (admin != null) log.Information("Admin API on the same port: /admin/quarantine (bearer token from Http.AdminToken)");
        return server;
    }

    /// <summary>The check of the admin bearer token (compared in constant time), or null when none is configured.</summary>
    private static Func<string, bool>? AdminToken(string configured)
    {
        if (string.IsNullOrEmpty(configured)) return null;
        var expected = System.Text.Encoding.UTF8.GetBytes(configured);
        return token => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(token), expected);
    }

    /// <summary>
    /// Who may do what over DICOMweb: Http.Users sign in with HTTP Basic (each passcode checked with PBKDF2 once, then
    /// remembered for a few minutes, since Basic sends it with every request and a viewer makes hundreds); callers who
    /// do not see Http.PublicCollections and store only when no user is listed.
    /// </summary>
    internal static DicomWebAccess Access(ServerOptions.HttpSection http, Serilog.ILogger log)
    {
        var users = new Dictionary<string, ServerOptions.ArchiveUser>(StringComparer.Ordinal);
        foreach (var user in http.Users)
        {
            if (string.IsNullOrWhiteSpace(user.Username)) throw new InvalidOperationException("Http.Users: a user has no Username.");
            if (!users.TryAdd(user.Username, user)) throw new InvalidOperationException($"Http.Users: user '{user.Username}' is listed twice.");
            if (user.Password == null) throw new InvalidOperationException($"Http.Users: user '{user.Username}' has no Password (make its hash with tciapacs hash-password).");
            if (Dimse.PasswordHash.Problem(user.Password) is { } problem) throw new InvalidOperationException($"Http.Users: the Password of user '{user.Username}' is {problem}.");
        }
        var verified = new System.Collections.Concurrent.ConcurrentDictionary<string, (DicomWebUser User, DateTime Until)>(StringComparer.Ordinal);
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        DicomWebUser? Authenticate(string name, string password)
        {
            if (!users.TryGetValue(name, out var user)) return null;
            // The cache holds a keyed hash of the credentials, never the passcode.
            var id = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes(name + "\0" + password)));
            if (verified.TryGetValue(id, out var hit) && hit.Until > DateTime.UtcNow) return hit.User;
            if (!Dimse.PasswordHash.Verify(System.Text.Encoding.UTF8.GetBytes(password), user.Password!)) return null;
            var signedIn = new DicomWebUser(user.Username, user.Store, user.Query, user.Retrieve,
                user.Collections is { Count: > 0 } c ? c.ToHashSet(StringComparer.Ordinal) : null) { Curate = user.Curate };
            if (verified.Count > 10_000) verified.Clear(); // bounded: a flood of distinct right passwords cannot grow it
            verified[id] = (signedIn, DateTime.UtcNow.AddMinutes(5));
            return signedIn;
        }
        return new DicomWebAccess
        {
            Authenticate = users.Count > 0 ? Authenticate : null,
            PublicCollections = http.PublicCollections?.ToHashSet(StringComparer.Ordinal),
            AnonymousStore = users.Count == 0 && http.PublicCollections == null,
        };
    }
}
