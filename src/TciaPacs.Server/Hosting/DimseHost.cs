using TciaPacs.Archive;

namespace TciaPacs.Server.Hosting;

/// <summary>Starts the DIMSE listener of <c>serve</c> (issue 5); disposing it stops listening and drains associations.</summary>
internal static class DimseHost
{
    public static Task<IAsyncDisposable> StartAsync(ServerOptions options, DicomArchive archive, Serilog.ILogger log, CancellationToken cancellationToken)
    {
        log.Warning("DIMSE listener for AE {AeTitle} on port {Port}: not implemented yet (a later issue); not listening", options.Dimse.AeTitle, options.Dimse.Port);
        return Task.FromResult<IAsyncDisposable>(NoService.Instance);
    }
}
