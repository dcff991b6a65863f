using System.Globalization;
using Microsoft.AspNetCore.Http;
using TciaPacs.Dicom;
using TciaPacs.Web.Wado;

namespace TciaPacs.Web.Rendering;

/// <summary>
/// WADO-RS rendered (PS3.18 10.4.1.1.4 / 8.3.5.1) and thumbnail (10.4.1.1.6) as <c>image/jpeg</c> (the default) or
/// <c>image/png</c>, with <c>window</c>, <c>viewport</c> and <c>quality</c>. A study or series renders its first
/// instance, an instance its first frame, and a frame list its first frame: one image per request.
/// </summary>
internal sealed class RenderedHandler(DicomWebService service)
{
    public async Task HandleAsync(HttpContext context, bool thumbnail)
    {
        var scope = RequestScope.From(context);
        var mediaType = Choose(context);
        var query = context.Request.Query;
        var (center, width, sigmoid) = Renderer.ParseWindow(query["window"]);
        int? maxW = thumbnail ? service.Options.ThumbnailSize : null, maxH = maxW;
        if (query["viewport"].ToString() is { Length: > 0 } viewport)
        {
            var v = viewport.Split(',', StringSplitOptions.TrimEntries);
            if (v.Length < 2 || !int.TryParse(v[0], NumberStyles.None, CultureInfo.InvariantCulture, out var vw) || !int.TryParse(v[1], NumberStyles.None, CultureInfo.InvariantCulture, out var vh) || vw < 1 || vh < 1)
                throw new DicomWebException(400, $"viewport must be width,height in pixels, not '{viewport}'");
            (maxW, maxH) = (vw, vh);
        }
        var quality = service.Options.RenderedQuality;
        if (query["quality"].ToString() is { Length: > 0 } q && (!int.TryParse(q, NumberStyles.None, CultureInfo.InvariantCulture, out quality) || quality is < 1 or > 100))
            throw new DicomWebException(400, $"quality must be 1 to 100, not '{q}'");
        var instance = service.FindRouteInstances(context, scope)[0];
        var frame = DicomWebService.Route(context, "frames") is { } list ? PixelFrames.ParseList(list)[0] : 1;
        var options = new RenderOptions(mediaType, quality, maxW, maxH, center, width, sigmoid);
        var image = await RenderAsync(service.FullPath(instance), frame, options, context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = mediaType;
        context.Response.ContentLength = image.Length;
        await context.Response.Body.WriteAsync(image, context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task<byte[]> RenderAsync(string path, int frame, RenderOptions options, CancellationToken ct)
    {
        var file = await DicomFile.OpenAsync(path, cancellationToken: ct).ConfigureAwait(false);
        var frames = new PixelFrames(file);
        if (frame > frames.Count) throw new DicomWebException(404, $"frame {frame} not found: the instance has {frames.Count} frame(s)");
        return await Task.Run(() => Renderer.Render(frames, frame - 1, options), ct).ConfigureAwait(false);
    }

    private static string Choose(HttpContext context)
    {
        foreach (var r in Negotiation.Accept(context.Request.Headers.Accept))
        {
            if (r.Is(MediaTypes.Png)) return MediaTypes.Png;
            if (r.Accepts(MediaTypes.Jpeg)) return MediaTypes.Jpeg;
        }
        throw new DicomWebException(StatusCodes.Status406NotAcceptable, "rendered images are image/jpeg or image/png");
    }
}
