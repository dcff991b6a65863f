namespace TciaPacs.Web;

/// <summary>What the DICOMweb service listens on and how it answers (the server maps its <c>Http</c> section to this).</summary>
public sealed record DicomWebOptions
{
    /// <summary>The address to listen on: <c>*</c> (all), <c>localhost</c>/<c>127.0.0.1</c>, or an IP address.</summary>
    public string Host { get; init; } = "*";

    public int Port { get; init; } = 8080;

    /// <summary>The collection STOW-RS stores into under <c>/dicom-web</c> (under <c>/collections/{name}/dicom-web</c> it is that name).</summary>
    public string DefaultCollection { get; init; } = "default";

    /// <summary>Where STOW-RS spools each part before the store pipeline copies it (on the data folder's file system).</summary>
    public required string TempDirectory { get; init; }

    /// <summary>Where per-series metadata documents are kept (rebuilt when the series changes).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>Largest request body accepted (bytes; null: no limit). STOW-RS parts are streamed to disk, never held in memory.</summary>
    public long? MaxRequestBodySize { get; init; }

    /// <summary>QIDO-RS answers at most this many results per request; more are announced with a Warning header (PS3.18 8.3.4.4).</summary>
    public int MaxQueryResults { get; init; } = 1000;

    /// <summary>Origins a browser may call from (CORS); <c>*</c> allows any.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = ["*"];

    /// <summary>Binary values at least this long are given as BulkDataURIs in /metadata (PS3.18 F.2.6).</summary>
    public long BulkDataThreshold { get; init; } = 1024;

    /// <summary>Default JPEG quality of /rendered and /thumbnail (1-100).</summary>
    public int RenderedQuality { get; init; } = 90;

    /// <summary>Largest side of a /thumbnail (pixels).</summary>
    public int ThumbnailSize { get; init; } = 128;

    /// <summary>Who may do what (users signing in with HTTP Basic, public collections); open by default.</summary>
    public DicomWebAccess Access { get; init; } = new();

    /// <summary>Grace period for requests in flight when the server stops.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
