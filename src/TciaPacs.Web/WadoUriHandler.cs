using System.Globalization;
using Microsoft.AspNetCore.Http;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Web.Rendering;
using TciaPacs.Web.Wado;

namespace TciaPacs.Web;

/// <summary>
/// WADO-URI (PS3.18 9): <c>GET /wado?requestType=WADO&amp;studyUID&amp;seriesUID&amp;objectUID</c> with
/// <c>contentType</c> <c>application/dicom</c> (with <c>transferSyntax</c>; Explicit VR Little Endian by default, or
/// <c>*</c>) or <c>image/jpeg</c> (the default) / <c>image/png</c> with <c>frameNumber</c>, <c>rows</c>, <c>columns</c>,
/// <c>windowCenter</c>, <c>windowWidth</c> and <c>imageQuality</c>.
/// </summary>
internal sealed class WadoUriHandler(DicomWebService service)
{
    public async Task HandleAsync(HttpContext context)
    {
        var q = context.Request.Query;
        if (!string.Equals(q["requestType"], "WADO", StringComparison.Ordinal))
            throw new DicomWebException(400, "requestType=WADO is required (PS3.18 9.1.2.1.1)");
        string Required(string name) => q[name].ToString() is { Length: > 0 } v ? v : throw new DicomWebException(400, $"{name} is required (PS3.18 9.1.2.1)");
        var study = Required("studyUID");
        var series = Required("seriesUID");
        var sop = Required("objectUID");
        var scope = RequestScope.From(context);
        var instance = service.FindInstances(scope, study, series, sop, context.RequestAborted).FirstOrDefault()
            ?? throw new DicomWebException(404, $"instance {sop} not found");
        var path = service.FullPath(instance);
        var ct = context.RequestAborted;
        var contentTypes = (q["contentType"].ToString() is { Length: > 0 } c ? c : MediaTypes.Jpeg).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var contentType in contentTypes.Select(t => t.Split(';')[0].Trim().ToLowerInvariant()))
        {
            if (contentType == MediaTypes.Dicom)
            {
                var ts = q["transferSyntax"].ToString() is { Length: > 0 } t ? t : TransferSyntax.ExplicitVRLittleEndian.Uid;
                if (!TransferSyntaxChoice.CanSend(instance.TransferSyntaxUid, ts, CodecRegistry.Default, path))
                {
                    // Without an explicit transferSyntax the stored syntax will do (PS3.18 9.1.2.1.8 lets the server choose).
                    if (q["transferSyntax"].Count > 0) throw new DicomWebException(406, $"cannot send the instance, stored as {instance.TransferSyntaxUid}, in {ts}");
                    ts = TransferSyntaxChoice.AsStored;
                }
                var sent = ts == TransferSyntaxChoice.AsStored ? instance.TransferSyntaxUid : ts;
                context.Response.ContentType = $"{MediaTypes.Dicom}; transfer-syntax={sent}";
                context.Response.Headers.ContentDisposition = $"attachment; filename=\"{sop}.dcm\"";
                if (sent == instance.TransferSyntaxUid)
                {
                    await context.Response.SendFileAsync(path, ct).ConfigureAwait(false);
                    return;
                }
                var temp = Path.Combine(service.Options.TempDirectory, $"wado-uri-{Guid.NewGuid():N}.dcm");
                try
                {
                    await Task.Run(() => RetrieveHandler.Transcode(path, sent, temp), ct).ConfigureAwait(false);
                    await context.Response.SendFileAsync(temp, ct).ConfigureAwait(false);
                }
                finally
                {
                    File.Delete(temp);
                }
                return;
            }
            if (contentType is MediaTypes.Jpeg or MediaTypes.Png or "image/*" or "*/*")
            {
                var type = contentType == MediaTypes.Png ? MediaTypes.Png : MediaTypes.Jpeg;
                var frame = Int(q, "frameNumber") ?? 1;
                if (frame < 1) throw new DicomWebException(400, "frameNumber starts at 1");
                var center = Double(q, "windowCenter");
                var width = Double(q, "windowWidth");
                if ((center == null) != (width == null) || width <= 0) throw new DicomWebException(400, "windowCenter and windowWidth go together, with a positive width (PS3.18 9.1.2.1.9)");
                var options = new RenderOptions(type, Int(q, "imageQuality") ?? service.Options.RenderedQuality, Int(q, "columns"), Int(q, "rows"), center, width);
                var image = await RenderedHandler.RenderAsync(path, frame, options, ct).ConfigureAwait(false);
                context.Response.ContentType = type;
                context.Response.ContentLength = image.Length;
                await context.Response.Body.WriteAsync(image, ct).ConfigureAwait(false);
                return;
            }
        }
        throw new DicomWebException(406, $"contentType '{q["contentType"]}': we answer application/dicom, image/jpeg or image/png");
    }

    private static int? Int(IQueryCollection q, string name) =>
        q[name].ToString() is { Length: > 0 } v
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new DicomWebException(400, $"{name} must be an integer, not '{v}'")
            : null;

    private static double? Double(IQueryCollection q, string name) =>
        q[name].ToString() is { Length: > 0 } v
            ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new DicomWebException(400, $"{name} must be a number, not '{v}'")
            : null;
}
