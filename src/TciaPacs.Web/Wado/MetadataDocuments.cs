using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Storage;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats.Json;

namespace TciaPacs.Web.Wado;

/// <summary>
/// Per-series metadata documents (as the Microsoft DICOM server keeps them): the DICOM JSON array of a series'
/// instances, bulk data replaced by BulkDataURIs, written once to the cache folder and then served from the file.
/// A document is named after the series, the base URL its links use and a hash of the series' stored files (their
/// paths carry their content hash), so a store into the series or a new base URL makes a new document; the hash is
/// also the ETag.
/// </summary>
internal sealed class MetadataDocuments(DicomWebService service)
{
    private const string Version = "1";

    public static string ETagOf(string baseUrl, IEnumerable<InstanceFile> instances)
    {
        var text = new StringBuilder(Version).Append('\n').Append(baseUrl).Append('\n');
        foreach (var path in instances.Select(i => i.RelativePath).Order(StringComparer.Ordinal)) text.Append(path).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    public DicomJsonOptions JsonOptions(RequestScope scope, InstanceFile instance)
    {
        var url = scope.InstanceUrl(instance.StudyInstanceUid, instance.SeriesInstanceUid, instance.SopInstanceUid);
        return new DicomJsonOptions
        {
            BulkDataThreshold = service.Options.BulkDataThreshold,
            BulkDataUriFactory = (_, path) => $"{url}/bulkdata/{BulkDataPath.Format(path)}",
        };
    }

    /// <summary>The document of one series (its instances given), built when missing; returns its path and ETag.</summary>
    public async Task<(string Path, string ETag)> GetSeriesAsync(RequestScope scope, string seriesUid, IReadOnlyList<InstanceFile> instances, CancellationToken ct)
    {
        var etag = ETagOf(scope.BaseUrl, instances);
        var prefix = $"{FileStore.HashUid(seriesUid)}-{FileStore.HashUid(scope.BaseUrl)}-";
        var path = Path.Combine(service.Options.CacheDirectory, prefix + etag + ".json");
        if (File.Exists(path)) return (path, etag);
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
                writer.WriteStartArray();
                foreach (var instance in instances)
                {
                    var file = await DicomFile.OpenAsync(service.FullPath(instance), cancellationToken: ct).ConfigureAwait(false);
                    DicomJson.Write(writer, file.Dataset, JsonOptions(scope, instance));
                    if (writer.BytesPending > 1 << 16) await writer.FlushAsync(ct).ConfigureAwait(false);
                }
                writer.WriteEndArray();
                await writer.FlushAsync(ct).ConfigureAwait(false);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
        foreach (var stale in Directory.EnumerateFiles(service.Options.CacheDirectory, prefix + "*.json"))
            if (stale != path) TryDelete(stale);
        return (path, etag);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Being served right now: the next build removes it.
        }
    }
}
