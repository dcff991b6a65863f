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
        };
        // Parts of an upload cut off by a crash are never stored; their spool files are removed at the next start.
        if (Directory.Exists(web.TempDirectory))
            foreach (var stale in Directory.EnumerateFiles(web.TempDirectory)) File.Delete(stale);
        var admin = string.IsNullOrEmpty(http.AdminToken) ? null : new QuarantineAdminApi(options, archive, log);
        var server = await DicomWebServer.StartAsync(web, archive, new SerilogLoggerProvider(log.ForContext("SourceContext", "TciaPacs.Web")), cancellationToken, admin == null ? null : admin.Map);
        log.Information("DICOMweb listening on {Addresses}: /dicom-web and /collections/{{name}}/dicom-web", string.Join(", ", server.Addresses));
        if (admin != null) log.Information("Admin API on the same port: /admin/quarantine (bearer token from Http.AdminToken)");
        return server;
    }
}
