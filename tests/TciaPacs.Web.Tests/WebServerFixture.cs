using System.Net.Http.Headers;
using Microsoft.AspNetCore.WebUtilities;
using NUnit.Framework;
using TciaPacs.Archive;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Web.Tests;

/// <summary>
/// A real archive (SQLite catalog, file store) in a temporary folder and the DICOMweb service on Kestrel on a free
/// loopback port; tests talk to it over HTTP only.
/// </summary>
public abstract class WebServerFixture
{
    protected string DataDirectory { get; private set; } = "";
    protected DicomArchive Archive { get; private set; } = null!;
    protected DicomWebServer Server { get; private set; } = null!;
    protected HttpClient Http { get; private set; } = null!;
    protected string Base => $"http://127.0.0.1:{Server.Port}/dicom-web";
    protected string TempDirectory => Path.Combine(DataDirectory, "tmp", "web");

    /// <summary>The transfer syntax of <see cref="Undecodable"/>: JPEG 2000 Part 2 Multi-component (Lossless Only), which no codec here decodes.</summary>
    protected const string UndecodableSyntax = "1.2.840.10008.1.2.4.92";

    /// <summary>
    /// An instance in a syntax no codec here decodes: the corpus's JPEG XL file, its frames labelled JPEG 2000 Part 2
    /// Multi-component (<see cref="UndecodableSyntax"/>), under study and series UIDs of the tests' own.
    /// </summary>
    protected static DicomFile Undecodable()
    {
        var file = Corpus("transfer-syntax/jpeg-xl/will-jxl.dcm", "1.2.826.0.1.3680043.10.548.111");
        var syntax = TransferSyntax.Lookup(UndecodableSyntax);
        return new DicomFile(DicomWriter.BuildMeta(file.Meta, file.Dataset, syntax), file.Dataset, syntax);
    }

    /// <summary>The corpus's JPEG XL JPEG Recompression instance (decoded with libjxl), under UIDs of the tests' own.</summary>
    protected static DicomFile JpegXl()
    {
        var file = Corpus("transfer-syntax/jpeg-xl/will-jxl.dcm", "1.2.826.0.1.3680043.10.548.112");
        file.Dataset.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, "1.2.826.0.1.3680043.10.548.112.1.1");
        return new DicomFile(DicomWriter.BuildMeta(file.Meta, file.Dataset, file.TransferSyntax), file.Dataset, file.TransferSyntax);
    }

    /// <summary>An HTJ2K Lossless RGB instance (1.2.840.10008.1.2.4.201), given the study and series UIDs it lacks.</summary>
    protected static DicomFile Htj2k() => Corpus("transfer-syntax/htj2k/HTJ2KLossless_08_RGB.dcm", "1.2.826.0.1.3680043.10.548.201");

    private static DicomFile Corpus(string path, string study)
    {
        var file = DicomFile.Open(Path.Combine(TciaPacs.Testing.Corpus.Root, path), new DicomReadOptions { LargeValueThreshold = long.MaxValue });
        file.Dataset.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, study);
        file.Dataset.AddOrUpdate(DicomTags.SeriesInstanceUID, VR.UI, study + ".1");
        return file;
    }

    protected static byte[] Bytes(DicomFile file)
    {
        using var stream = new MemoryStream();
        file.Save(stream, file.TransferSyntax);
        return stream.ToArray();
    }

    /// <summary>Who may do what: open, unless a fixture says otherwise.</summary>
    protected virtual DicomWebAccess Access => new();

    /// <summary>The archive's intake collections: none, unless a fixture says otherwise.</summary>
    protected virtual TciaPacs.Archive.Curation.CurationOptions? Curation => null;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "tciapacs-web-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(DataDirectory);
        Archive = new DicomArchive(DataDirectory, SqliteCatalog.OpenDataDirectory(DataDirectory), curation: Curation);
        Server = await DicomWebServer.StartAsync(new DicomWebOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            TempDirectory = TempDirectory,
            CacheDirectory = Path.Combine(DataDirectory, "cache"),
            MaxQueryResults = 50,
            Access = Access,
        }, Archive);
        Http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Archive.DisposeAsync();
        Directory.Delete(DataDirectory, true);
    }

    /// <summary>A STOW-RS body of Part 10 files, one part each.</summary>
    public static MultipartContent StowContent(IEnumerable<byte[]> files, string partType = "application/dicom")
    {
        var content = new MultipartContent("related", "stow-" + Guid.NewGuid().ToString("N"));
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        foreach (var f in files)
        {
            var part = new ByteArrayContent(f);
            part.Headers.ContentType = new MediaTypeHeaderValue(partType);
            content.Add(part);
        }
        return content;
    }

    protected async Task<(HttpResponseMessage Response, DicomDataset Body)> StowAsync(IEnumerable<byte[]> files, string? path = null)
    {
        var response = await Http.PostAsync($"{Base}{path ?? "/studies"}", StowContent(files));
        var json = await response.Content.ReadAsStringAsync();
        var body = response.Content.Headers.ContentType?.MediaType == "application/dicom+json" ? Dicom.Formats.Json.DicomJson.Deserialize(json) : new DicomDataset();
        return (response, body);
    }

    /// <summary>The parts of a multipart/related response: (headers, bytes).</summary>
    public static async Task<List<(Dictionary<string, string> Headers, byte[] Body)>> ReadParts(HttpResponseMessage response)
    {
        var type = response.Content.Headers.ContentType!;
        Assert.That(type.MediaType, Is.EqualTo("multipart/related"), await SafeText(response));
        var boundary = type.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new MultipartReader(boundary, await response.Content.ReadAsStreamAsync());
        var parts = new List<(Dictionary<string, string>, byte[])>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var ms = new MemoryStream();
            await section.Body.CopyToAsync(ms);
            parts.Add((section.Headers!.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), ms.ToArray()));
        }
        return parts;
    }

    private static async Task<string> SafeText(HttpResponseMessage r) => r.Content.Headers.ContentType?.MediaType?.StartsWith("text", StringComparison.Ordinal) == true ? await r.Content.ReadAsStringAsync() : "";

    public static HttpRequestMessage Get(string url, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept != null) request.Headers.TryAddWithoutValidation("Accept", accept);
        return request;
    }

    /// <summary>A small Part 10 file with the given attributes (and 64x64 16-bit pixels unless <paramref name="pixels"/> is false).</summary>
    public static byte[] MakeInstance(string study, string series, string sop, Action<DicomDataset>? edit = null, bool pixels = true, int frames = 1)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, "1.2.840.10008.5.1.4.1.1.7");
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, sop);
        ds.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, study);
        ds.AddOrUpdate(DicomTags.SeriesInstanceUID, VR.UI, series);
        ds.AddOrUpdate(DicomTags.PatientID, VR.LO, "P1");
        ds.AddOrUpdate(DicomTags.PatientName, VR.PN, "Doe^John");
        ds.AddOrUpdate(DicomTags.Modality, VR.CS, "OT");
        if (pixels)
        {
            ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)64);
            ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)64);
            ds.AddOrUpdate(DicomTags.SamplesPerPixel, VR.US, (ushort)1);
            ds.AddOrUpdate(DicomTags.PhotometricInterpretation, VR.CS, "MONOCHROME2");
            ds.AddOrUpdate(DicomTags.BitsAllocated, VR.US, (ushort)16);
            ds.AddOrUpdate(DicomTags.BitsStored, VR.US, (ushort)12);
            ds.AddOrUpdate(DicomTags.HighBit, VR.US, (ushort)11);
            ds.AddOrUpdate(DicomTags.PixelRepresentation, VR.US, (ushort)0);
            if (frames > 1) ds.AddOrUpdate(DicomTags.NumberOfFrames, VR.IS, frames.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var pixelsBytes = new byte[64 * 64 * 2 * frames];
            for (var i = 0; i < pixelsBytes.Length / 2; i++) BitConverter.TryWriteBytes(pixelsBytes.AsSpan(i * 2), (ushort)((i * 7 + sop.Length) % 4096));
            ds.AddOrUpdate(DicomTags.PixelData, VR.OW, pixelsBytes);
        }
        edit?.Invoke(ds);
        var meta = Dicom.IO.DicomWriter.BuildMeta(null, ds, TransferSyntax.ExplicitVRLittleEndian);
        using var ms = new MemoryStream();
        new DicomFile(meta, ds, TransferSyntax.ExplicitVRLittleEndian) { HasPreamble = true }.Save(ms);
        return ms.ToArray();
    }
}
