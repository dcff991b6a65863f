using TciaPacs.Archive;

namespace TciaPacs.Server.Hosting;

/// <summary>Starts the DICOMweb HTTP service of <c>serve</c> (issue 4); disposing it stops it gracefully.</summary>
internal static class DicomWebHost
{
    public static Task<IAsyncDisposable> StartAsync(ServerOptions options, DicomArchive archive, Serilog.ILogger log, CancellationToken cancellationToken)
    {
        log.Warning("DICOMweb on HTTP port {Port}: not implemented yet (a later issue); not listening", options.Http.Port);
        return Task.FromResult<IAsyncDisposable>(NoService.Instance);
    }
}
