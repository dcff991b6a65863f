using Microsoft.AspNetCore.Http;

namespace TciaPacs.Web.Rendering;

/// <summary>WADO-RS rendered and thumbnail resources (PS3.18 10.4.1.1.4, 10.4.1.1.6).</summary>
internal sealed class RenderedHandler(DicomWebService service)
{
    public Task HandleAsync(HttpContext context, bool thumbnail)
    {
        _ = service;
        _ = thumbnail;
        throw new DicomWebException(StatusCodes.Status406NotAcceptable, "rendered media types are not supported yet");
    }
}
