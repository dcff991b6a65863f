using System.Text;
using Microsoft.AspNetCore.Http;

namespace TciaPacs.Web;

/// <summary>
/// Error responses: the status, the reason as text/plain and in a <c>Warning: 299</c> header (PS3.18 8.10.3: a
/// human-readable explanation of why the request failed).
/// </summary>
internal static class HttpErrors
{
    public static async Task WriteAsync(HttpContext context, int status, string reason)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late for a status: cut the response so that the client sees it incomplete rather than valid.
            context.Abort();
            return;
        }
        response.Clear();
        response.StatusCode = status;
        // RFC 9110 11.6.1: a 401 says how to sign in.
        if (status == StatusCodes.Status401Unauthorized) response.Headers.WWWAuthenticate = DicomWebCaller.Challenge;
        var oneLine = reason.ReplaceLineEndings(" ").Replace("\"", "'", StringComparison.Ordinal);
        response.Headers.Warning = $"299 tciapacs \"{AsciiOnly(oneLine)}\"";
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(reason + "\n", Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }

    private static string AsciiOnly(string s) => new(s.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    public static Task NotFound(HttpContext context, string what) => WriteAsync(context, StatusCodes.Status404NotFound, $"{what} not found");

    public static Task NotAcceptable(HttpContext context, string reason) => WriteAsync(context, StatusCodes.Status406NotAcceptable, reason);

    public static Task BadRequest(HttpContext context, string reason) => WriteAsync(context, StatusCodes.Status400BadRequest, reason);

    public static Task UnsupportedMediaType(HttpContext context, string reason) => WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, reason);
}

/// <summary>A request that cannot be answered as asked; the handler turns it into the status and reason.</summary>
internal sealed class DicomWebException(int status, string reason) : Exception(reason)
{
    public int Status { get; } = status;
}
