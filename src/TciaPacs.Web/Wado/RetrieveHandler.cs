using Microsoft.AspNetCore.Http;
using TciaPacs.Archive.Catalog;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;

namespace TciaPacs.Web.Wado;

/// <summary>
/// WADO-RS retrieve of a study, series or instance (PS3.18 10.4.1.1.1): <c>multipart/related; type="application/dicom"</c>
/// with one stored file per part, copied from disk as it is read; re-encoded (through a temporary file) only when
/// another transfer syntax is asked for. A single instance may also be asked for as plain <c>application/dicom</c>.
/// </summary>
internal sealed class RetrieveHandler(DicomWebService service)
{
    private static DicomTranscoder Transcoder => DicomTranscoder.Default;

    public async Task HandleAsync(HttpContext context)
    {
        var scope = RequestScope.From(context);
        var instances = service.FindRouteInstances(context, scope);
        var single = DicomWebService.Route(context, "instance") != null;
        var (multipart, ts) = Choose(context, instances, single);
        var ct = context.RequestAborted;
        if (!multipart)
        {
            var e = instances[0];
            var target = ts ?? DefaultFor(e);
            context.Response.ContentType = $"{MediaTypes.Dicom}; transfer-syntax={(target == TransferSyntaxChoice.AsStored ? e.TransferSyntaxUid : target)}";
            await WriteInstanceAsync(e, target, context.Response.Body, ct).ConfigureAwait(false);
            return;
        }
        var writer = new MultipartWriter(context.Response, MediaTypes.Dicom);
        writer.Start(transferSyntax: ts is null or TransferSyntaxChoice.AsStored ? null : ts);
        foreach (var e in instances)
        {
            var target = ts ?? DefaultFor(e);
            var sent = target == TransferSyntaxChoice.AsStored ? e.TransferSyntaxUid : target;
            long? length = sent == e.TransferSyntaxUid ? new FileInfo(service.FullPath(e)).Length : null;
            await writer.WritePartAsync($"{MediaTypes.Dicom}; transfer-syntax={sent}", body => WriteInstanceAsync(e, target, body, ct), length,
                scope.InstanceUrl(e.StudyInstanceUid, e.SeriesInstanceUid, e.SopInstanceUid), ct).ConfigureAwait(false);
        }
        await writer.EndAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// No transfer-syntax parameter: Explicit VR Little Endian, the default of application/dicom (PS3.18 8.7.3.5.2),
    /// when we can produce it, else the stored syntax (as dcm4chee does), which the part's Content-Type names.
    /// </summary>
    private static string DefaultFor(InstanceFile e) =>
        TransferSyntaxChoice.CanSend(e.TransferSyntaxUid, TransferSyntax.ExplicitVRLittleEndian.Uid, CodecRegistry.Default)
            ? TransferSyntax.ExplicitVRLittleEndian.Uid
            : TransferSyntaxChoice.AsStored;

    /// <summary>The first acceptable media range every instance can be sent in: (multipart?, transfer syntax or null for the default).</summary>
    private (bool Multipart, string? TransferSyntax) Choose(HttpContext context, List<InstanceFile> instances, bool single)
    {
        var asked = Negotiation.Accept(context.Request.Headers.Accept);
        foreach (var r in asked)
        {
            bool multipart;
            if (r.IsWildcard || (r.Is(MediaTypes.MultipartRelated) && (r.PartType is null or MediaTypes.Dicom))) multipart = true;
            else if (r.Is(MediaTypes.Dicom) && single) multipart = false;
            else continue;
            var ts = r.TransferSyntax;
            if (ts != null && !instances.All(e => TransferSyntaxChoice.CanSend(e.TransferSyntaxUid, ts, CodecRegistry.Default, service.FullPath(e)))) continue;
            return (multipart, ts);
        }
        throw new DicomWebException(StatusCodes.Status406NotAcceptable,
            $"cannot answer any of '{context.Request.Headers.Accept}': we send multipart/related; type=\"application/dicom\" (or application/dicom for one instance) " +
            $"as stored (transfer-syntax=*), in an uncompressed transfer syntax, or in RLE Lossless (1.2.840.10008.1.2.5), JPEG Lossless (1.2.840.10008.1.2.4.57, .4.70) or JPEG-LS Lossless (1.2.840.10008.1.2.4.80) when the image allows; stored syntaxes: {string.Join(", ", instances.Select(i => i.TransferSyntaxUid).Distinct())}");
    }

    private async Task WriteInstanceAsync(InstanceFile e, string target, Stream output, CancellationToken ct)
    {
        var path = service.FullPath(e);
        if (target == TransferSyntaxChoice.AsStored || target == e.TransferSyntaxUid)
        {
            await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await input.CopyToAsync(output, 1 << 16, ct).ConfigureAwait(false);
            return;
        }
        var temp = Path.Combine(service.Options.TempDirectory, $"wado-{Guid.NewGuid():N}.dcm");
        try
        {
            await Task.Run(() => Transcode(path, target, temp), ct).ConfigureAwait(false);
            await using var input = new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await input.CopyToAsync(output, 1 << 16, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Writes the file at <paramref name="path"/> in <paramref name="targetUid"/> to <paramref name="destination"/>; large values are copied from the source file.</summary>
    public static void Transcode(string path, string targetUid, string destination) =>
        Transcoder.TranscodeFile(path, TransferSyntax.Lookup(targetUid), destination);
}
