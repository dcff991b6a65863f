using Microsoft.AspNetCore.Http;

namespace TciaPacs.Web;

/// <summary>WADO-URI (PS3.18 9): <c>GET /wado?requestType=WADO&amp;studyUID&amp;seriesUID&amp;objectUID&amp;contentType…</c>.</summary>
internal sealed class WadoUriHandler(DicomWebService service)
{
    public Task HandleAsync(HttpContext context)
    {
        _ = service;
        throw new DicomWebException(StatusCodes.Status400BadRequest, "not yet");
    }
}
