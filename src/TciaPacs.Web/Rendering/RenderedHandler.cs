using System.Globalization;
using Microsoft.AspNetCore.Http;
using TciaPacs.Dicom;
using TciaPacs.Web.Wado;

namespace TciaPacs.Web.Rendering;

/// <summary>
/// WADO-RS rendered (PS3.18 10.4.1.1.4 / 8.3.5.1) and thumbnail (10.4.1.1.6) as <c>image/jpeg</c> (the default) or
/// <c>image/png</c>, with <c>window</c>, <c>viewport</c> and <c>quality</c>. Asked for <c>image/jpeg</c> or
/// <c>image/png</c> (what a browser's img element sends), a study or series renders its first instance, an instance its
/// first frame, and a frame list its first frame: one image. Asked for <c>multipart/related; type="image/jpeg"</c> (or
/// png), rendered answers every image of the resource, one part each, in catalog order: the first frame of each instance
/// of a study or series, every frame of an instance, every listed frame. Thumbnails are always one image (10.4.1.1.6).
/// </summary>
internal sealed class RenderedHandler(DicomWebService service)
{
    public async Task HandleAsync(HttpContext context, bool thumbnail)
    {
        var scope = RequestScope.From(context);
        var (mediaType, multipart) = Choose(context);
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
        var instances = service.FindRouteInstances(context, scope);
        var frameList = DicomWebService.Route(context, "frames") is { } list ? PixelFrames.ParseList(list) : null;
        var options = new RenderOptions(mediaType, quality, maxW, maxH, center, width, sigmoid);
        if (multipart && !thumbnail)
        {
            await WriteAllAsync(context, instances, frameList, options).ConfigureAwait(false);
            return;
        }
        var image = await RenderAsync(service.FullPath(instances[0]), frameList?[0] ?? 1, options, context.RequestAborted).ConfigureAwait(false);
        context.Response.ContentType = mediaType;
        context.Response.ContentLength = image.Length;
        await context.Response.Body.WriteAsync(image, context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task<byte[]> RenderAsync(string path, int frame, RenderOptions options, CancellationToken ct) =>
        await RenderAsync(await OpenFramesAsync(path, ct).ConfigureAwait(false), frame, options, ct).ConfigureAwait(false);

    private static async Task<PixelFrames> OpenFramesAsync(string path, CancellationToken ct) =>
        new(await DicomFile.OpenAsync(path, cancellationToken: ct).ConfigureAwait(false));

    private static async Task<byte[]> RenderAsync(PixelFrames frames, int frame, RenderOptions options, CancellationToken ct)
    {
        if (frame > frames.Count) throw new DicomWebException(404, $"frame {frame} not found: the instance has {frames.Count} frame(s)");
        return await Task.Run(() => Renderer.Render(frames, frame - 1, options), ct).ConfigureAwait(false);
    }

    /// <summary>Every image of the resource as one multipart/related response, each part rendered as it is written.</summary>
    private async Task WriteAllAsync(HttpContext context, List<Archive.Catalog.InstanceFile> instances, IReadOnlyList<int>? frameList, RenderOptions options)
    {
        var ct = context.RequestAborted;
        var writer = new MultipartWriter(context.Response, options.MediaType);
        if (DicomWebService.Route(context, "instance") != null)
        {
            // Frames of the one instance, listed or all of them, from one reading of its file; a listed frame it does
            // not have is a 404 before any part is sent.
            var frames = await OpenFramesAsync(service.FullPath(instances[0]), ct).ConfigureAwait(false);
            var wanted = frameList ?? Enumerable.Range(1, frames.Count).ToList();
            if (wanted.FirstOrDefault(f => f > frames.Count) is > 0 and var missing)
                throw new DicomWebException(404, $"frame {missing} not found: the instance has {frames.Count} frame(s)");
            writer.Start();
            foreach (var frame in wanted)
                await writer.WritePartAsync(options.MediaType, await RenderAsync(frames, frame, options, ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
        }
        else
        {
            // The first frame of each instance of the study or series.
            writer.Start();
            foreach (var instance in instances)
                await writer.WritePartAsync(options.MediaType, await RenderAsync(service.FullPath(instance), 1, options, ct).ConfigureAwait(false), cancellationToken: ct).ConfigureAwait(false);
        }
        await writer.EndAsync(ct).ConfigureAwait(false);
    }

    private static (string MediaType, bool Multipart) Choose(HttpContext context)
    {
        foreach (var r in Negotiation.Accept(context.Request.Headers.Accept))
        {
            if (r.Is(MediaTypes.MultipartRelated) && r.PartType is MediaTypes.Jpeg or MediaTypes.Png) return (r.PartType, true);
            if (r.Is(MediaTypes.Png)) return (MediaTypes.Png, false);
            if (r.Accepts(MediaTypes.Jpeg)) return (MediaTypes.Jpeg, false);
        }
        throw new DicomWebException(StatusCodes.Status406NotAcceptable, "rendered images are image/jpeg or image/png, or multipart/related of either");
    }
}
