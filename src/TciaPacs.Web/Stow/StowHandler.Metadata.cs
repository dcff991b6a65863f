using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Web.Stow;

/// <summary>
/// STOW-RS of <c>multipart/related; type="application/dicom+json"</c> (PS3.18 10.5.1.1, 8.6.1.2): metadata parts (a
/// DICOM JSON array of instances, or one instance) and bulk data parts, each of the latter named by its
/// <c>Content-Location</c>, the BulkDataURI the metadata uses. Every part is spooled to a file first (they may come in
/// any order); bulk data is referenced in place (a <see cref="FileBuffer"/>), never loaded; each instance is then
/// written as a Part 10 file in Explicit VR Little Endian and stored through the same pipeline as any other.
/// </summary>
internal sealed partial class StowHandler
{
    /// <summary>A metadata part larger than this is refused: metadata without its bulk data is small.</summary>
    private const long MaxMetadataPart = 256L * 1024 * 1024;

    private async Task HandleMetadataAsync(HttpContext context, RequestScope scope, string? targetStudy, string boundary)
    {
        var xml = Negotiation.PrefersXml(context.Request.Headers.Accept);
        var response = new StowResponse(scope);
        var collection = scope.Collection ?? service.Options.DefaultCollection;
        var reader = new MultipartReader(boundary, context.Request.Body) { HeadersLengthLimit = 64 * 1024, BodyLengthLimit = null };
        var ct = context.RequestAborted;
        var metadata = new List<(int Part, string Path)>();
        var bulk = new Dictionary<string, (string Path, string? ContentType)>(StringComparer.Ordinal);
        var spools = new List<string>();
        string? bodyError = null;
        var partNumber = 0;
        try
        {
            while (true)
            {
                var (section, malformed) = await NextSectionAsync(reader, partNumber, ct).ConfigureAwait(false);
                bodyError ??= malformed;
                if (section == null) break;
                partNumber++;
                var (temp, incomplete) = await SpoolBodyAsync(section, partNumber, ct).ConfigureAwait(false);
                if (temp == null)
                {
                    bodyError = incomplete;
                    break;
                }
                spools.Add(temp);
                var type = MediaRange.Parse(section.ContentType);
                if (type != null && (type.Is(MediaTypes.DicomJson) || type.Is(MediaTypes.Json)))
                {
                    if (new FileInfo(temp).Length > MaxMetadataPart)
                        response.Add(StoreResult.Failure(StoreResult.StatusOutOfResources, $"part {partNumber}: a metadata part over {MaxMetadataPart / (1024 * 1024)} MiB"));
                    else metadata.Add((partNumber, temp));
                    continue;
                }
                var location = section.Headers?.TryGetValue("Content-Location", out var values) == true ? values.ToString().Trim() : "";
                if (location.Length == 0)
                {
                    response.Add(StoreResult.Failure(StoreResult.StatusCannotUnderstand, $"part {partNumber} ({section.ContentType ?? "no Content-Type"}) is neither metadata nor a bulk data part with a Content-Location"));
                    continue;
                }
                bulk[location] = (temp, section.ContentType);
            }

            if (metadata.Count == 0 && response.Count == 0)
                throw new DicomWebException(StatusCodes.Status400BadRequest, bodyError ?? "the multipart/related body has no application/dicom+json part");
            foreach (var (part, path) in metadata)
                foreach (var result in await StoreMetadataPartAsync(part, path, bulk, collection, targetStudy, ct).ConfigureAwait(false))
                    response.Add(result);
        }
        finally
        {
            foreach (var spool in spools) File.Delete(spool);
        }
        if (bodyError != null)
        {
            service.Log.LogWarning("STOW-RS: {Error}", bodyError);
            response.AddBodyFailure(bodyError);
        }
        service.Log.LogInformation("STOW-RS (metadata and bulk data): {Stored} stored, {Failed} failed, into {Collection}", response.StoredCount, response.FailedCount, collection);
        await response.WriteAsync(context, xml).ConfigureAwait(false);
    }

    private async Task<List<StoreResult>> StoreMetadataPartAsync(int part, string path, Dictionary<string, (string Path, string? ContentType)> bulk, string collection, string? targetStudy, CancellationToken ct)
    {
        var results = new List<StoreResult>();
        string? unsupported = null;
        var options = new DicomJsonOptions
        {
            BulkDataResolver = uri =>
            {
                if (!Resolve(bulk, uri, out var found)) return new BulkDataUriBuffer(uri); // reported below as missing
                var type = MediaRange.Parse(found.ContentType);
                if (type != null && !type.Is(MediaTypes.OctetStream))
                    unsupported ??= $"bulk data {uri} is '{found.ContentType}': only application/octet-stream (native) bulk data is taken with metadata; send compressed instances as application/dicom";
                return new FileBuffer(found.Path, 0, new FileInfo(found.Path).Length);
            },
        };
        IReadOnlyList<DicomDataset> instances;
        try
        {
            await using var stream = File.OpenRead(path);
            var first = FirstToken(stream);
            stream.Position = 0;
            instances = first == '[' ? DicomJson.DeserializeArray(stream, options) : [DicomJson.Deserialize(stream, options)];
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or InvalidDataException or ArgumentException)
        {
            results.Add(StoreResult.Failure(StoreResult.StatusCannotUnderstand, $"part {part}: the metadata is not valid DICOM JSON: {ex.Message}"));
            return results;
        }
        // Instances are built and stored a few dozen at a time, as the multipart/related application/dicom path does:
        // stores in flight together share a file sync and a catalog commit.
        var pending = new List<Task<StoreResult>>(instances.Count);
        using var inFlight = new SemaphoreSlim(MaxParallelStores);
        try
        {
            for (var i = 0; i < instances.Count; i++)
            {
                var ds = instances[i];
                var where = instances.Count > 1 ? $"part {part}, instance {i + 1}" : $"part {part}";
                var sop = ds.GetString(DicomTags.SOPInstanceUID);
                var sopClass = ds.GetString(DicomTags.SOPClassUID);
                var study = ds.GetString(DicomTags.StudyInstanceUID);
                StoreResult Fail(ushort status, string reason) => StoreResult.Failure(status, $"{where}: {reason}") with { SopClassUid = sopClass, SopInstanceUid = sop, StudyInstanceUid = study };
                if (unsupported != null) { pending.Add(Task.FromResult(Fail(StoreResult.StatusCannotUnderstand, unsupported))); continue; }
                if (Missing(ds) is { } uri) { pending.Add(Task.FromResult(Fail(StoreResult.StatusCannotUnderstand, $"bulk data {uri} is not among the request's parts (no part has that Content-Location)"))); continue; }
                if (targetStudy != null && study != targetStudy) { pending.Add(Task.FromResult(Fail(StudyMismatch, $"Study Instance UID {study} is not {targetStudy}, the study of the request"))); continue; }
                if (string.IsNullOrEmpty(sop) || string.IsNullOrEmpty(sopClass)) { pending.Add(Task.FromResult(Fail(StoreResult.StatusCannotUnderstand, "the metadata has no SOP Class UID or SOP Instance UID"))); continue; }
                await inFlight.WaitAsync(ct).ConfigureAwait(false);
                pending.Add(Task.Run(async () =>
                {
                    var temp = Path.Combine(service.Options.TempDirectory, $"stow-{Guid.NewGuid():N}.dcm");
                    try
                    {
                        // Group 0002 in the metadata is not the data set's: the file meta is built for what we write.
                        var dataset = new DicomDataset();
                        foreach (var e in ds) if (e.Tag.Group != 0x0002) dataset.Add(e);
                        var ts = TransferSyntax.ExplicitVRLittleEndian;
                        // A spool, not an archived file: no fsync here (the store pipeline makes the stored file durable).
                        using (var spool = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                            new DicomFile(DicomWriter.BuildMeta(null, dataset, ts), dataset, ts).Save(spool);
                        var result = await service.Archive.StoreAsync(StoreRequest.FromSpool(temp, collection, StoreDoor.Stow), ct).ConfigureAwait(false);
                        return result.IsFailure ? result with { Reason = $"{where}: {result.Reason}" } : result;
                    }
                    catch (Exception ex) when (ex is IOException or InvalidOperationException or ArgumentException or DicomParseException)
                    {
                        return Fail(StoreResult.StatusCannotUnderstand, $"cannot build the instance from its metadata and bulk data: {ex.Message}");
                    }
                    finally
                    {
                        File.Delete(temp);
                        inFlight.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch
        {
            // The client went away: the stores in flight finish (each commits whole or not at all) before we leave.
            try { await Task.WhenAll(pending).ConfigureAwait(false); } catch (Exception) { }
            throw;
        }
        results.AddRange(await Task.WhenAll(pending).ConfigureAwait(false));
        return results;
    }

    /// <summary>A BulkDataURI against the parts' Content-Locations: exactly, or by path when one side is absolute and the other relative.</summary>
    private static bool Resolve(Dictionary<string, (string Path, string? ContentType)> bulk, string uri, out (string Path, string? ContentType) found)
    {
        if (bulk.TryGetValue(uri, out found)) return true;
        var path = PathOf(uri);
        foreach (var (location, value) in bulk)
        {
            if (PathOf(location) == path) { found = value; return true; }
        }
        return false;
    }

    private static string PathOf(string uri) => Uri.TryCreate(uri, UriKind.Absolute, out var u) ? u.AbsolutePath : uri;

    /// <summary>The first BulkDataURI that no part supplied, at any depth.</summary>
    private static string? Missing(DicomDataset ds)
    {
        foreach (var e in ds)
        {
            if (e.Buffer is BulkDataUriBuffer b) return b.Uri;
            if (e is DicomSequence sq)
                foreach (var item in sq.Items)
                    if (Missing(item) is { } inner) return inner;
        }
        return null;
    }

    private static int FirstToken(Stream stream)
    {
        int b;
        do b = stream.ReadByte(); while (b is ' ' or '\t' or '\r' or '\n' or 0xEF or 0xBB or 0xBF);
        return b;
    }
}
