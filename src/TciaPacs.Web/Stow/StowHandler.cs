using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Web.Stow;

/// <summary>
/// STOW-RS (PS3.18 10.5): a <c>multipart/related; type="application/dicom"</c> body read part by part; each part is
/// spooled to a file (never held in memory) and stored through the archive's one store pipeline. A part cut off by
/// the end of the body or a dropped connection is never stored.
/// </summary>
internal sealed partial class StowHandler(DicomWebService service)
{
    /// <summary>
    /// The Failure Reason of an instance whose Study Instance UID is not the one of the request target (PS3.18 10.5.1:
    /// such instances are not stored); PS3.18 names no code for it, so we use A901, as the Microsoft DICOM server does.
    /// </summary>
    public const ushort StudyMismatch = 0xA901;

    public async Task HandleAsync(HttpContext context)
    {
        var scope = RequestScope.From(context);
        var targetStudy = DicomWebService.Route(context, "study");
        var contentType = MediaRange.Parse(context.Request.ContentType);
        if (contentType == null || !contentType.Is(MediaTypes.MultipartRelated))
            throw new DicomWebException(StatusCodes.Status415UnsupportedMediaType, $"STOW-RS takes multipart/related; type=\"application/dicom\", not '{context.Request.ContentType}'");
        var partType = contentType.PartType ?? MediaTypes.Dicom;
        if (partType != MediaTypes.Dicom && partType != MediaTypes.DicomJson)
            throw new DicomWebException(StatusCodes.Status415UnsupportedMediaType, $"multipart/related parts of type '{partType}' are not supported: send application/dicom parts, or application/dicom+json metadata with bulk data parts (PS3.18 10.5.1.1)");
        if (string.IsNullOrEmpty(contentType["boundary"]))
            throw new DicomWebException(StatusCodes.Status400BadRequest, "the multipart/related Content-Type has no boundary parameter (RFC 2046 5.1.1)");
        if (partType == MediaTypes.DicomJson)
        {
            await HandleMetadataAsync(context, scope, targetStudy, contentType["boundary"]!).ConfigureAwait(false);
            return;
        }
        var xml = Negotiation.PrefersXml(context.Request.Headers.Accept);

        var response = new StowResponse(scope);
        var collection = scope.Collection ?? service.Options.DefaultCollection;
        var reader = new MultipartReader(contentType["boundary"]!, context.Request.Body) { HeadersLengthLimit = 64 * 1024, BodyLengthLimit = null };
        var ct = context.RequestAborted;
        var partNumber = 0;
        string? bodyError = null;
        // Parts are read one after the other (the body is a stream), but each is stored while the next is read, a few
        // at a time, so that the catalog's group commit can make one durable write of several instances.
        var stores = new List<Task<PartResult>>();
        using var inFlight = new SemaphoreSlim(MaxParallelStores);
        try
        {
            while (true)
            {
                var (section, malformed) = await NextSectionAsync(reader, partNumber, ct).ConfigureAwait(false);
                bodyError ??= malformed;
                if (section == null) break;
                partNumber++;
                var spooled = await SpoolPartAsync(section, partNumber, ct).ConfigureAwait(false);
                if (spooled.Failure != null)
                {
                    stores.Add(Task.FromResult(spooled.Failure));
                    if (spooled.Failure.EndOfBody) { bodyError = spooled.Failure.Result.Reason; break; }
                    continue;
                }
                await inFlight.WaitAsync(ct).ConfigureAwait(false);
                var number = partNumber;
                stores.Add(Task.Run(async () =>
                {
                    try
                    {
                        return await StoreSpooledAsync(spooled.Path!, number, collection, targetStudy, ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        inFlight.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch
        {
            // The client went away: let the stores in flight finish (each commits whole or not at all) before leaving.
            try
            {
                await Task.WhenAll(stores).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Their outcome no longer has anyone to go to.
            }
            throw;
        }
        foreach (var result in await Task.WhenAll(stores).ConfigureAwait(false)) response.Add(result.Result);
        if (bodyError != null)
        {
            service.Log.LogWarning("STOW-RS: {Error}", bodyError);
            if (response.Count == 0 || response.AllFromBody(bodyError)) response.AddBodyFailure(bodyError);
        }
        if (response.Count == 0)
            throw new DicomWebException(StatusCodes.Status400BadRequest, bodyError ?? "the multipart/related body has no parts");
        service.Log.LogInformation("STOW-RS: {Stored} stored, {Failed} failed, into {Collection}", response.StoredCount, response.FailedCount, collection);
        await response.WriteAsync(context, xml).ConfigureAwait(false);
    }

    // Each store waits mostly for the shared file sync and the catalog's group commit, so more of them at once means
    // fewer device flushes per instance; every part in flight is a spool file on disk and a parsed header in memory.
    private const int MaxParallelStores = 32;

    /// <summary>The next part, or null at the end of the body; a malformed body ends it too, with the reason.</summary>
    private static async Task<(MultipartSection? Section, string? Error)> NextSectionAsync(MultipartReader reader, int partNumber, CancellationToken ct)
    {
        try
        {
            return (await reader.ReadNextSectionAsync(ct).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException && !ct.IsCancellationRequested)
        {
            return (null, $"the multipart body is malformed after part {partNumber}: {ex.Message}");
        }
    }

    private sealed record PartResult(StoreResult Result, bool EndOfBody);

    private sealed record Spooled(string? Path, PartResult? Failure);

    /// <summary>Copies one part to a spool file; a part cut off (the body ended or broke) or of another type is a failure and leaves no file.</summary>
    private async Task<Spooled> SpoolPartAsync(MultipartSection section, int partNumber, CancellationToken ct)
    {
        var (temp, incomplete) = await SpoolBodyAsync(section, partNumber, ct).ConfigureAwait(false);
        if (temp == null)
            return new Spooled(null, new PartResult(StoreResult.Failure(StoreResult.StatusCannotUnderstand, incomplete!), true));
        var partType = MediaRange.Parse(section.ContentType);
        if (partType != null && !partType.Is(MediaTypes.Dicom) && !partType.Is(MediaTypes.OctetStream))
        {
            File.Delete(temp);
            return new Spooled(null, new PartResult(StoreResult.Failure(StoreResult.StatusCannotUnderstand, $"part {partNumber} has Content-Type '{section.ContentType}', not application/dicom"), false));
        }
        return new Spooled(temp, null);
    }

    /// <summary>
    /// Copies a part's body into a new spool file (never into memory). A body that ends before the part's closing
    /// boundary leaves no file and gives the reason; any other failure leaves no file either and is thrown.
    /// </summary>
    private async Task<(string? Path, string? Incomplete)> SpoolBodyAsync(MultipartSection section, int partNumber, CancellationToken ct)
    {
        var temp = Path.Combine(service.Options.TempDirectory, $"stow-{Guid.NewGuid():N}.part");
        try
        {
            // Unbuffered synchronous writes of what CopyToAsync read (page cache, microseconds; no thread-pool hop per write).
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
                await section.Body.CopyToAsync(file, 1 << 16, ct).ConfigureAwait(false);
            return (temp, null);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException && !ct.IsCancellationRequested)
        {
            File.Delete(temp);
            return (null, $"part {partNumber} is incomplete: the body ended before its closing boundary ({ex.Message})");
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Stores a spooled part through the archive's pipeline, then deletes the spool file.</summary>
    private async Task<PartResult> StoreSpooledAsync(string temp, int partNumber, string collection, string? targetStudy, CancellationToken ct)
    {
        try
        {
            if (targetStudy != null && StudyOf(temp) is { } header && header.Study != targetStudy)
            {
                return new PartResult(StoreResult.Failure(StudyMismatch, $"part {partNumber}: Study Instance UID {header.Study} is not {targetStudy}, the study of the request")
                    with { SopClassUid = header.SopClass, SopInstanceUid = header.Sop, StudyInstanceUid = header.Study }, false);
            }
            // The spool is ours to give up: the pipeline moves it into the file store when it keeps it unchanged.
            var result = await service.Archive.StoreAsync(StoreRequest.FromSpool(temp, collection, StoreDoor.Stow), ct).ConfigureAwait(false);
            return new PartResult(result.IsFailure ? result with { Reason = $"part {partNumber}: {result.Reason}" } : result, false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static (string? Study, string? SopClass, string? Sop)? StudyOf(string path)
    {
        try
        {
            var ds = DicomFile.Open(path, DicomReadOptions.HeaderOnly).Dataset;
            return (ds.GetString(DicomTags.StudyInstanceUID), ds.GetString(DicomTags.SOPClassUID), ds.GetString(DicomTags.SOPInstanceUID));
        }
        catch (Exception ex) when (ex is DicomParseException or IOException or InvalidDataException or NotSupportedException)
        {
            return null; // the store pipeline reports why it cannot be read
        }
    }
}
