using System.Text;
using Microsoft.AspNetCore.Http;

namespace TciaPacs.Web;

/// <summary>
/// Writes a <c>multipart/related</c> response (RFC 2387, PS3.18 8.7.1.2) part by part straight to the response body:
/// each part's bytes are copied from their source as they are read, so a study is never held in memory.
/// </summary>
internal sealed class MultipartWriter(HttpResponse response, string partType)
{
    private readonly string _boundary = "tciapacs-" + Guid.NewGuid().ToString("N");
    private bool _started;
    private bool _any;

    /// <summary>Sets the status and Content-Type; call before the first part.</summary>
    public void Start(int status = StatusCodes.Status200OK, string? transferSyntax = null)
    {
        response.StatusCode = status;
        var ts = transferSyntax != null ? $"; transfer-syntax={transferSyntax}" : "";
        response.ContentType = $"multipart/related; type=\"{partType}\"{ts}; boundary={_boundary}";
        _started = true;
    }

    public async Task WritePartAsync(string contentType, Func<Stream, Task> writeBody, long? length = null, string? location = null, CancellationToken cancellationToken = default)
    {
        if (!_started) Start();
        var header = new StringBuilder();
        if (_any) header.Append("\r\n");
        header.Append("--").Append(_boundary).Append("\r\nContent-Type: ").Append(contentType).Append("\r\n");
        if (length is { } l) header.Append("Content-Length: ").Append(l).Append("\r\n");
        if (location != null) header.Append("Content-Location: ").Append(location).Append("\r\n");
        header.Append("\r\n");
        _any = true;
        await response.Body.WriteAsync(Encoding.ASCII.GetBytes(header.ToString()), cancellationToken).ConfigureAwait(false);
        await writeBody(response.Body).ConfigureAwait(false);
    }

    public Task WritePartAsync(string contentType, ReadOnlyMemory<byte> body, string? location = null, CancellationToken cancellationToken = default) =>
        WritePartAsync(contentType, s => s.WriteAsync(body, cancellationToken).AsTask(), body.Length, location, cancellationToken);

    public async Task EndAsync(CancellationToken cancellationToken = default)
    {
        if (!_started) Start();
        var tail = (_any ? "\r\n" : "") + "--" + _boundary + "--\r\n";
        await response.Body.WriteAsync(Encoding.ASCII.GetBytes(tail), cancellationToken).ConfigureAwait(false);
    }
}
