using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive;

namespace TciaPacs.Web;

/// <summary>
/// The DICOMweb service on Kestrel: STOW-RS, QIDO-RS, WADO-RS and WADO-URI under <c>/dicom-web</c> and, scoped to one
/// collection, under <c>/collections/{name}/dicom-web</c>. Disposing it stops it gracefully.
/// </summary>
public sealed class DicomWebServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeSpan _shutdownTimeout;

    private DicomWebServer(WebApplication app, TimeSpan shutdownTimeout, IReadOnlyList<string> addresses)
    {
        _app = app;
        _shutdownTimeout = shutdownTimeout;
        Addresses = addresses;
    }

    /// <summary>The addresses Kestrel listens on (e.g. <c>http://127.0.0.1:8080</c>), with the real port when 0 was asked.</summary>
    public IReadOnlyList<string> Addresses { get; }

    public int Port => new Uri(Addresses[0].Replace("[::]", "localhost", StringComparison.Ordinal)).Port;

    /// <param name="mapMore">Endpoints the composition root adds on the same listener (the admin API of <c>serve</c>).</param>
    public static async Task<DicomWebServer> StartAsync(DicomWebOptions options, DicomArchive archive, ILoggerProvider? logging = null, CancellationToken cancellationToken = default,
        Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder>? mapMore = null)
    {
        Directory.CreateDirectory(options.TempDirectory);
        Directory.CreateDirectory(options.CacheDirectory);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (logging != null) builder.Logging.AddProvider(logging);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBodySize;
            k.AddServerHeader = false;
            if (options.Host is "*" or "" or "0.0.0.0") k.ListenAnyIP(options.Port);
            else if (options.Host is "localhost") k.ListenLocalhost(options.Port);
            else k.Listen(IPAddress.Parse(options.Host), options.Port);
        });
        builder.Services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = [MediaTypes.DicomJson, MediaTypes.Json, MediaTypes.DicomXml, "application/xml"];
        });
        builder.Services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        builder.Services.AddCors();
        var app = builder.Build();
        app.UseResponseCompression();
        app.UseCors(policy =>
        {
            if (options.CorsOrigins.Contains("*")) policy.AllowAnyOrigin();
            else policy.WithOrigins([.. options.CorsOrigins]);
            policy.AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("Warning", "ETag", "Content-Location", "Content-Range", "Accept-Ranges");
        });
        var service = new DicomWebService(archive, options, app.Services.GetRequiredService<ILoggerFactory>());
        service.Map(app);
        mapMore?.Invoke(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        return new DicomWebServer(app, options.ShutdownTimeout, addresses);
    }

    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(_shutdownTimeout))
        {
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Requests still running past the grace period are aborted.
            }
        }
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
