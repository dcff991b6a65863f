using System.Globalization;
using Microsoft.AspNetCore.Http;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Web.Wado;

/// <summary>
/// WADO-RS bulk data (PS3.18 10.4.1.1.5) at the BulkDataURIs our metadata gives: the element's value copied from the
/// stored file, as <c>multipart/related; type="application/octet-stream"</c> (the default) or plain
/// <c>application/octet-stream</c>, with one HTTP byte range (RFC 9110 14) either way: 206 and Content-Range.
/// Encapsulated Pixel Data answers with its frames, one part each, as stored.
/// </summary>
internal sealed class BulkDataHandler(DicomWebService service)
{
    public async Task HandleAsync(HttpContext context)
    {
        var scope = RequestScope.From(context);
        var instance = service.FindRouteInstances(context, scope)[0];
        var file = await DicomFile.OpenAsync(service.FullPath(instance), cancellationToken: context.RequestAborted).ConfigureAwait(false);
        var path = DicomWebService.Route(context, "path") ?? "";
        var element = BulkDataPath.Resolve(file.Dataset, path)
            ?? throw new DicomWebException(StatusCodes.Status404NotFound, $"no element at bulk data path '{path}'");
        var multipart = ChooseMultipart(context);
        var ct = context.RequestAborted;
        if (element is DicomFragmentSequence)
        {
            var frames = new PixelFrames(file);
            var type = MediaTypes.ForFrames(frames.StoredSyntax) ?? MediaTypes.OctetStream;
            var writer = new MultipartWriter(context.Response, MediaTypes.OctetStream);
            for (var i = 0; i < frames.Count; i++)
                await writer.WritePartAsync($"{type}; transfer-syntax={frames.StoredSyntax}", frames.Stored(i), cancellationToken: ct).ConfigureAwait(false);
            await writer.EndAsync(ct).ConfigureAwait(false);
            return;
        }
        if (element is DicomSequence) throw new DicomWebException(StatusCodes.Status404NotFound, $"'{path}' is a sequence, not bulk data");

        var buffer = element.Buffer;
        var length = buffer.Length;
        var (start, count, partial) = ParseRange(context, length);
        context.Response.Headers.AcceptRanges = "bytes";
        var range = partial ? $"bytes {start}-{start + count - 1}/{length}" : null;
        if (!multipart)
        {
            context.Response.StatusCode = partial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
            if (range != null) context.Response.Headers.ContentRange = range;
            context.Response.ContentType = MediaTypes.OctetStream;
            context.Response.ContentLength = count;
            await CopyAsync(buffer, start, count, context.Response.Body, ct).ConfigureAwait(false);
            return;
        }
        var multipartWriter = new MultipartWriter(context.Response, MediaTypes.OctetStream);
        multipartWriter.Start(partial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK);
        if (range != null) context.Response.Headers.ContentRange = range;
        await multipartWriter.WritePartAsync(MediaTypes.OctetStream, body => CopyAsync(buffer, start, count, body, ct), count, cancellationToken: ct).ConfigureAwait(false);
        await multipartWriter.EndAsync(ct).ConfigureAwait(false);
    }

    private static bool ChooseMultipart(HttpContext context)
    {
        foreach (var r in Negotiation.Accept(context.Request.Headers.Accept))
        {
            if (r.IsWildcard || (r.Is(MediaTypes.MultipartRelated) && r.PartType is null or MediaTypes.OctetStream)) return true;
            if (r.Is(MediaTypes.OctetStream)) return false;
        }
        throw new DicomWebException(StatusCodes.Status406NotAcceptable, "bulk data is multipart/related; type=\"application/octet-stream\" or application/octet-stream");
    }

    /// <summary>One byte range (RFC 9110 14.1.2): <c>bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c>; 416 when it lies outside the value.</summary>
    internal static (long Start, long Count, bool Partial) ParseRange(HttpContext context, long length)
    {
        var header = context.Request.Headers.Range.ToString();
        if (string.IsNullOrWhiteSpace(header)) return (0, length, false);
        var spec = header.Trim();
        if (!spec.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || spec.Contains(',', StringComparison.Ordinal))
            return (0, length, false); // other units or several ranges: the whole value (RFC 9110 14.2 lets us ignore Range)
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0) return (0, length, false);
        var first = spec[6..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        long start, end;
        if (first.Length == 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) || suffix == 0) throw Unsatisfiable(context, length);
            start = Math.Max(0, length - suffix);
            end = length - 1;
        }
        else
        {
            if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out start)) return (0, length, false);
            end = last.Length == 0 ? length - 1 : long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? Math.Min(e, length - 1) : -1;
            if (start >= length || end < start) throw Unsatisfiable(context, length);
        }
        return (start, end - start + 1, true);
    }

    private static DicomWebException Unsatisfiable(HttpContext context, long length)
    {
        context.Response.Headers.ContentRange = $"bytes */{length}";
        return new DicomWebException(StatusCodes.Status416RangeNotSatisfiable, $"the range '{context.Request.Headers.Range}' is outside the value's {length} bytes");
    }

    private static async Task CopyAsync(DicomBuffer buffer, long start, long count, Stream output, CancellationToken ct)
    {
        if (buffer is MemoryBuffer memory)
        {
            await output.WriteAsync(memory.Bytes.Slice((int)start, (int)count), ct).ConfigureAwait(false);
            return;
        }
        if (buffer is FileBuffer { SwapUnit: 1 } file)
        {
            await using var fs = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
            fs.Position = file.Offset + start;
            await MetadataHandler.CopyAsync(fs, output, count, ct).ConfigureAwait(false);
            return;
        }
        await using var s = buffer.OpenRead();
        var skip = new byte[1 << 16];
        var left = start;
        while (left > 0) left -= await s.ReadAsync(skip.AsMemory(0, (int)Math.Min(skip.Length, left)), ct).ConfigureAwait(false) is var n && n > 0 ? n : throw new EndOfStreamException();
        await MetadataHandler.CopyAsync(s, output, count, ct).ConfigureAwait(false);
    }
}
