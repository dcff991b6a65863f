using Microsoft.AspNetCore.Http;
using TciaPacs.Dicom;

namespace TciaPacs.Web.Wado;

/// <summary>
/// WADO-RS frames (PS3.18 10.4.1.1.3): <c>multipart/related</c> with one part per frame asked for, each read alone
/// from the stored file. Native frames are <c>application/octet-stream</c>; encapsulated frames are sent as stored
/// (<c>transfer-syntax=*</c> or their own media type, e.g. <c>image/jpeg</c>) or decoded to octet-stream when a codec can.
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
        var (multipart, partType, asStored) = Choose(context, frames, numbers.Count);
        var ts = asStored ? frames.StoredSyntax : TransferSyntax.ExplicitVRLittleEndian.Uid;
        var contentType = $"{partType}; transfer-syntax={ts}";
        var ct = context.RequestAborted;
        if (!multipart)
        {
            var bytes = asStored ? frames.Stored(numbers[0] - 1) : frames.Native(numbers[0] - 1);
            context.Response.ContentType = contentType;
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes, ct).ConfigureAwait(false);
            return;
        }
        var writer = new MultipartWriter(context.Response, partType);
        writer.Start();
        var url = scope.InstanceUrl(instance.StudyInstanceUid, instance.SeriesInstanceUid, instance.SopInstanceUid);
        foreach (var n in numbers)
        {
            var bytes = await Task.Run(() => asStored ? frames.Stored(n - 1) : frames.Native(n - 1), ct).ConfigureAwait(false);
            await writer.WritePartAsync(contentType, bytes, $"{url}/frames/{n}", ct).ConfigureAwait(false);
        }
        await writer.EndAsync(ct).ConfigureAwait(false);
    }

    /// <summary>(multipart?, part media type, send as stored?) for the first acceptable range; 406 when none fits.</summary>
    private static (bool, string, bool) Choose(HttpContext context, PixelFrames frames, int count)
    {
        var storedType = MediaTypes.ForFrames(frames.StoredSyntax);
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
                if (!frames.IsEncapsulated && (ts is null or "*" || ts == TransferSyntax.ExplicitVRLittleEndian.Uid || ts == frames.StoredSyntax)) return (multipart, type, true);
                if (frames.IsEncapsulated && (ts == "*" || ts == frames.StoredSyntax)) return (multipart, type, true);
                if (frames.IsEncapsulated && (ts is null || ts == TransferSyntax.ExplicitVRLittleEndian.Uid) && frames.CanDecode) return (multipart, type, false);
                continue;
            }
            if (frames.IsEncapsulated && storedType != null && (type == storedType || type == "image/*") && (ts is null or "*" || ts == frames.StoredSyntax))
                return (multipart, storedType, true);
        }
        throw new DicomWebException(StatusCodes.Status406NotAcceptable,
            $"cannot answer any of '{context.Request.Headers.Accept}' for frames stored as {frames.StoredSyntax}: we send application/octet-stream " +
            (frames.IsEncapsulated ? $"with transfer-syntax=* or {frames.StoredSyntax}, or {storedType ?? "octet-stream"}" + (frames.CanDecode ? ", or decoded (Explicit VR Little Endian)" : "") : "(Explicit VR Little Endian)"));
    }
}
