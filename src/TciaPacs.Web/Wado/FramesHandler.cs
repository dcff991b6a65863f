using Microsoft.AspNetCore.Http;
using TciaPacs.Dicom;

namespace TciaPacs.Web.Wado;

/// <summary>
/// WADO-RS frames (PS3.18 10.4.1.1.3): <c>multipart/related</c> with one part per frame asked for, each read alone
/// from the stored file. Native frames are <c>application/octet-stream</c>; encapsulated frames are sent as stored
/// (<c>transfer-syntax=*</c> or their own media type, e.g. <c>image/jpeg</c>) or decoded to octet-stream when a codec can.
/// A lossless compressed media type we encode (<c>image/jls</c>, <c>image/dicom-rle</c>, <c>image/jpeg</c> with a lossless
/// transfer-syntax, <c>image/jp2</c>, <c>image/jphc</c>) is produced from native or decodable frames, each encoded as it
/// is sent. A request for one frame may ask for one byte range of it (RFC 9110 14): 206 and Content-Range.
/// </summary>
internal sealed class FramesHandler(DicomWebService service)
{
    public async Task HandleAsync(HttpContext context)
    {
        var scope = RequestScope.From(context);
        var numbers = PixelFrames.ParseList(DicomWebService.Route(context, "frames")!);
        var instance = service.FindRouteInstances(context, scope)[0];
        var file = await DicomFile.OpenAsync(service.FullPath(instance), cancellationToken: context.RequestAborted).ConfigureAwait(false);
        var frames = new PixelFrames(file);
        foreach (var n in numbers)
            if (n > frames.Count) throw new DicomWebException(StatusCodes.Status404NotFound, $"frame {n} not found: the instance has {frames.Count} frame(s)");
        var (multipart, partType, ts) = Choose(context, frames, numbers.Count);
        var contentType = $"{partType}; transfer-syntax={ts}";
        var ct = context.RequestAborted;
        ReadOnlyMemory<byte> Frame(int index) =>
            ts == frames.StoredSyntax ? frames.Stored(index) : ts == TransferSyntax.ExplicitVRLittleEndian.Uid ? frames.Native(index) : frames.Encoded(index, TransferSyntax.Lookup(ts));
        var url = scope.InstanceUrl(instance.StudyInstanceUid, instance.SeriesInstanceUid, instance.SopInstanceUid);
        if (numbers.Count == 1)
        {
            // One frame: one byte range of it on request (206), in either form, as for bulk data. A viewer that loads
            // progressively reads the first bytes of an HTJ2K RPCL frame (its lower resolutions) first.
            var bytes = await Task.Run(() => Frame(numbers[0] - 1), ct).ConfigureAwait(false);
            var (start, count, partial) = BulkDataHandler.ParseRange(context, bytes.Length);
            context.Response.Headers.AcceptRanges = "bytes";
            var status = partial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
            var part = bytes.Slice((int)start, (int)count);
            if (!multipart)
            {
                context.Response.StatusCode = status;
                if (partial) context.Response.Headers.ContentRange = $"bytes {start}-{start + count - 1}/{bytes.Length}";
                context.Response.ContentType = contentType;
                context.Response.ContentLength = part.Length;
                await context.Response.Body.WriteAsync(part, ct).ConfigureAwait(false);
                return;
            }
            var single = new MultipartWriter(context.Response, partType);
            single.Start(status);
            if (partial) context.Response.Headers.ContentRange = $"bytes {start}-{start + count - 1}/{bytes.Length}";
            await single.WritePartAsync(contentType, part, $"{url}/frames/{numbers[0]}", ct).ConfigureAwait(false);
            await single.EndAsync(ct).ConfigureAwait(false);
            return;
        }
        var writer = new MultipartWriter(context.Response, partType);
        writer.Start();
        foreach (var n in numbers)
        {
            var bytes = await Task.Run(() => Frame(n - 1), ct).ConfigureAwait(false);
            await writer.WritePartAsync(contentType, bytes, $"{url}/frames/{n}", ct).ConfigureAwait(false);
        }
        await writer.EndAsync(ct).ConfigureAwait(false);
    }

    /// <summary>(multipart?, part media type, transfer syntax sent) for the first acceptable range; 406 when none fits.</summary>
    private static (bool, string, string) Choose(HttpContext context, PixelFrames frames, int count)
    {
        var storedType = MediaTypes.ForFrames(frames.StoredSyntax);
        var stored = frames.StoredSyntax;
        var native = TransferSyntax.ExplicitVRLittleEndian.Uid;
        foreach (var r in Negotiation.Accept(context.Request.Headers.Accept))
        {
            bool multipart;
            string type;
            if (r.IsWildcard) (multipart, type) = (true, frames.IsEncapsulated ? storedType ?? MediaTypes.OctetStream : MediaTypes.OctetStream);
            else if (r.Is(MediaTypes.MultipartRelated)) (multipart, type) = (true, r.PartType ?? MediaTypes.OctetStream);
            else if (count == 1 && (r.Is(MediaTypes.OctetStream) || r.Type.StartsWith("image/", StringComparison.Ordinal))) (multipart, type) = (false, r.Type);
            else continue;
            var ts = r.TransferSyntax;
            if (type == MediaTypes.OctetStream)
            {
                if (!frames.IsEncapsulated && (ts is null or "*" || ts == native || ts == stored)) return (multipart, type, stored);
                if (frames.IsEncapsulated && (ts == "*" || ts == stored)) return (multipart, type, stored);
                if (frames.IsEncapsulated && (ts is null || ts == native) && frames.CanDecode) return (multipart, type, native);
                continue;
            }
            if (frames.IsEncapsulated && storedType != null && (type == storedType || type == "image/*") && (ts is null or "*" || ts == stored))
                return (multipart, storedType, stored);
            // Encoded on request: the media type's syntax (its default, or the one named), when we encode it and the
            // frames' image is one it holds (image/jpeg alone means JPEG Baseline: 8-bit unsigned samples).
            if ((ts is null or "*" ? MediaTypes.DefaultSyntaxForFrames(type) : ts) is { } target && MediaTypes.ForFrames(target) == type && frames.CanEncode(target))
                return (multipart, type, target);
        }
        throw new DicomWebException(StatusCodes.Status406NotAcceptable,
            $"cannot answer any of '{context.Request.Headers.Accept}' for frames stored as {stored}: we send application/octet-stream " +
            (frames.IsEncapsulated ? $"with transfer-syntax=* or {stored}, or {storedType ?? "octet-stream"}" + (frames.CanDecode ? ", or decoded (Explicit VR Little Endian)" : "") : "(Explicit VR Little Endian)") +
            (frames.CanDecode ? ", or encoded as image/jls, image/jp2, image/jphc, image/dicom-rle, image/jpeg (JPEG Baseline, lossy: 8-bit unsigned images) or image/jpeg with transfer-syntax=1.2.840.10008.1.2.4.51 (lossy, up to 12-bit unsigned) or 1.2.840.10008.1.2.4.70 (lossless) when the image allows" : ""));
    }
}
