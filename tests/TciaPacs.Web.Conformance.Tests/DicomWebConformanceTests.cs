using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Web.Conformance.Tests;

/// <summary>
/// The black-box suite of issue 4: the real <c>tciapacs serve</c> on loopback, driven only by independent clients —
/// dicomweb-client (the library OHIF uses) from node, curl — with pydicom parsing every returned part.
/// </summary>
[NonParallelizable]
public sealed class DicomWebConformanceTests
{
    private ServeProcess _serve = null!;
    private string _work = "";

    [OneTimeSetUp]
    public void Start()
    {
        ExternalTool.Require("node");
        ExternalTool.Require("curl");
        _ = ServeProcess.ScriptFolder();
        var probe = ExternalTool.Run(ExternalTool.Python, ["-c", "import pydicom"]);
        Assert.That(probe.ExitCode, Is.Zero, "python3-pydicom is required: " + probe.StdErr);
        _serve = ServeProcess.Start();
        _work = Path.Combine(_serve.DataDirectory, "client");
        Directory.CreateDirectory(_work);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        var (code, output) = _serve.Stop();
        _serve.Dispose();
        Assert.That(code, Is.Zero, output);
    }

    [Test, Order(1)]
    public void Dicomweb_client_round_trips_every_readable_corpus_file_and_pydicom_parses_every_part()
    {
        var list = Path.Combine(_work, "files.txt");
        File.WriteAllLines(list, Corpus.Entries.Where(e => Parses(e.FullPath)).Select(e => e.FullPath));
        var output = Path.Combine(_work, "parts");
        var node = ExternalTool.Run("node", [Path.Combine(ServeProcess.ScriptFolder(), "dicomweb-client.mjs"), _serve.Base, list, output], TimeSpan.FromMinutes(8));
        Assert.That(node.ExitCode, Is.Zero, node.StdOut + node.StdErr);
        var report = JsonNode.Parse(node.StdOut)!;
        TestContext.Out.WriteLine(node.StdOut.Length > 400 ? node.StdOut[^400..] : node.StdOut);
        Assert.That((int)report["instances"]!, Is.GreaterThan(150));
        Assert.That((int)report["retrieved"]!, Is.EqualTo((int)report["instances"]!));
        Assert.That((int)report["metadata"]!, Is.EqualTo((int)report["instances"]!));
        Assert.That((int)report["frames"]!, Is.GreaterThan(100));
        Assert.That((int)report["rendered"]!, Is.GreaterThan(10));
        Assert.That((int)report["unknownStudyStatus"]!, Is.EqualTo(404));

        var reportFile = Path.Combine(_work, "report.json");
        File.WriteAllText(reportFile, node.StdOut);
        var check = ExternalTool.Run(ExternalTool.Python, [Path.Combine(ServeProcess.ScriptFolder(), "check_parts.py"), reportFile, output], TimeSpan.FromMinutes(5));
        TestContext.Out.WriteLine(check.StdOut.Length > 2000 ? check.StdOut[..2000] : check.StdOut);
        Assert.That(check.ExitCode, Is.Zero, check.StdOut + check.StdErr);
        var summary = JsonNode.Parse(check.StdOut)!;
        Assert.That((int)summary["checked"]!["instances"]!, Is.GreaterThan(150));
        Assert.That((int)summary["checked"]!["bulkdata"]!, Is.GreaterThan(100));
    }

    private static bool Parses(string path)
    {
        try
        {
            return DicomFile.Open(path, new DicomReadOptions { LargeValueThreshold = long.MaxValue }).Dataset.Count > 0;
        }
        catch (DicomParseException)
        {
            return false;
        }
    }

    // ---- curl ----

    private sealed record CurlResult(int Status, string Headers, byte[] Body)
    {
        public string Text => Encoding.UTF8.GetString(Body);
        public string? Header(string name) => Headers.Split("\r\n").LastOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim();
    }

    private CurlResult Curl(params string[] args)
    {
        var body = Path.Combine(_work, "curl-body-" + Guid.NewGuid().ToString("N")[..6]);
        var headers = body + ".headers";
        var r = ExternalTool.Run("curl", ["-s", "-S", "-o", body, "-D", headers, "-w", "%{http_code}", .. args], TimeSpan.FromMinutes(2));
        Assert.That(r.ExitCode, Is.Zero, $"curl {string.Join(' ', args)}: {r.StdErr}");
        var result = new CurlResult(int.Parse(r.StdOut.Trim(), CultureInfo.InvariantCulture), File.ReadAllText(headers), File.Exists(body) ? File.ReadAllBytes(body) : []);
        File.Delete(body);
        File.Delete(headers);
        return result;
    }

    private string StowBody(string boundary, params (string Type, byte[] Bytes)[] parts)
    {
        var path = Path.Combine(_work, "stow-" + Guid.NewGuid().ToString("N")[..6]);
        using var f = File.Create(path);
        foreach (var (type, bytes) in parts)
        {
            f.Write(Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Type: {type}\r\n\r\n"));
            f.Write(bytes);
            f.Write("\r\n"u8);
        }
        f.Write(Encoding.ASCII.GetBytes($"--{boundary}--\r\n"));
        return path;
    }

    private string _native = "";

    /// <summary>A corpus MR (implicit VR, native pixels) under new UIDs, so that it does not meet the dicomweb-client test's copy.</summary>
    private string Native
    {
        get
        {
            if (_native.Length > 0) return _native;
            var file = DicomFile.Open(Path.Combine(Corpus.Root, "transfer-syntax/implicit-vr-le/MR_small_implicit.dcm"));
            var root = "2.25." + new System.Numerics.BigInteger(Guid.NewGuid().ToByteArray().Append((byte)0).ToArray()).ToString(CultureInfo.InvariantCulture);
            file.Dataset.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, root + ".1");
            file.Dataset.AddOrUpdate(DicomTags.SeriesInstanceUID, VR.UI, root + ".2");
            file.Dataset.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, root + ".3");
            _native = Path.Combine(_work, "native.dcm");
            new DicomFile(file.Meta, file.Dataset, file.TransferSyntax) { HasPreamble = true }.Save(_native);
            return _native;
        }
    }

    private (string Study, string Series, string Sop) Uids(string file)
    {
        var ds = DicomFile.Open(file).Dataset;
        return (ds.GetString(DicomTags.StudyInstanceUID)!, ds.GetString(DicomTags.SeriesInstanceUID)!, ds.GetString(DicomTags.SOPInstanceUID)!);
    }

    /// <summary>
    /// GETs the instance of <paramref name="expected"/> by WADO-RS with curl, and asserts that pydicom reads it as the
    /// same data set (group lengths aside), naming the attributes that differ; the instance's UIDs.
    /// </summary>
    private (string Study, string Series, string Sop) RetrieveAndCompareWithPydicom(string expected, string retrievedName)
    {
        var uids = Uids(expected);
        var file = Curl("-H", "Accept: application/dicom; transfer-syntax=*", $"{CurlBase}/studies/{uids.Study}/series/{uids.Series}/instances/{uids.Sop}");
        Assert.That(file.Status, Is.EqualTo(200));
        var retrieved = Path.Combine(_work, retrievedName);
        File.WriteAllBytes(retrieved, file.Body);
        var same = ExternalTool.Run(ExternalTool.Python, ["-c",
            "import sys, pydicom; a = pydicom.dcmread(sys.argv[1]); b = pydicom.dcmread(sys.argv[2]); " +
            "[d.pop(t) for d in (a, b) for t in [e.tag for e in d if e.tag.element == 0]]; " +
            "diff = [str(e.tag) for e in a if e.tag not in b or b[e.tag].value != e.value] + [str(e.tag) for e in b if e.tag not in a]; " +
            "print(diff); sys.exit(0 if not diff and a == b else 1)", expected, retrieved]);
        Assert.That(same.ExitCode, Is.Zero, same.StdOut + same.StdErr);
        return uids;
    }

    private string CurlBase => $"{_serve.Root}/collections/curl/dicom-web";

    private void StoreNative()
    {
        var body = StowBody("c1", ("application/dicom", File.ReadAllBytes(Native)));
        var r = Curl("-X", "POST", "-H", "Content-Type: multipart/related; type=\"application/dicom\"; boundary=c1", "--data-binary", "@" + body, $"{CurlBase}/studies");
        Assert.That(r.Status, Is.EqualTo(200), r.Text + r.Header("Warning"));
    }

    [Test, Order(2)]
    public void Curl_stow_with_a_bad_part_is_202_and_wado_gives_back_what_pydicom_reads_as_the_same()
    {
        StoreNative();
        var body = StowBody("c2", ("application/dicom", File.ReadAllBytes(Native)), ("application/dicom", "not DICOM"u8.ToArray()));
        var stow = Curl("-X", "POST", "-H", "Content-Type: multipart/related; type=\"application/dicom\"; boundary=c2", "-H", "Accept: application/dicom+json", "--data-binary", "@" + body, $"{CurlBase}/studies");
        Assert.That(stow.Status, Is.EqualTo(202), stow.Text);
        Assert.That(stow.Text, Does.Contain("\"00081198\"").And.Contain("\"00081199\""));
        var (study, series, sop) = RetrieveAndCompareWithPydicom(Native, "curl-retrieved.dcm");
        var wadoUri = Curl($"{_serve.Root}/wado?requestType=WADO&studyUID={study}&seriesUID={series}&objectUID={sop}&contentType=application/dicom");
        Assert.That(wadoUri.Status, Is.EqualTo(200));
        Assert.That(wadoUri.Header("Content-Type"), Does.StartWith("application/dicom"));
        var jpeg = Curl($"{_serve.Root}/wado?requestType=WADO&studyUID={study}&seriesUID={series}&objectUID={sop}");
        Assert.That(jpeg.Body[..2], Is.EqualTo(new byte[] { 0xFF, 0xD8 }));
    }

    /// <summary>
    /// STOW-RS of metadata and bulk data (PS3.18 10.5.1.1): pydicom writes the DICOM JSON with the Pixel Data as a
    /// BulkDataURI, the pixels go in an application/octet-stream part with that Content-Location; WADO-RS gives back what
    /// pydicom reads as the same data set.
    /// </summary>
    [Test, Order(2)]
    public void Curl_stow_of_metadata_and_bulk_data_from_pydicom_comes_back_the_same()
    {
        var body = Path.Combine(_work, "stow-json-body");
        var expected = Path.Combine(_work, "stow-json-expected.dcm");
        var make = ExternalTool.Run(ExternalTool.Python, ["-c", """
import sys, pydicom
src, body, expected = sys.argv[1:4]
ds = pydicom.dcmread(src)
for kw in ("SeriesInstanceUID", "SOPInstanceUID"):
    setattr(ds, kw, getattr(ds, kw) + ".9")
ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
ds.save_as(expected)
uri = "bulk/" + ds.SOPInstanceUID + "/pixels"
meta = ds.to_json(bulk_data_threshold=1024, bulk_data_element_handler=lambda elem: uri)
with open(body, "wb") as f:
    f.write(b"--j1\r\nContent-Type: application/dicom+json\r\n\r\n[" + meta.encode() + b"]\r\n")
    f.write(b"--j1\r\nContent-Type: application/octet-stream\r\nContent-Location: " + uri.encode() + b"\r\n\r\n" + ds.PixelData + b"\r\n--j1--\r\n")
""", Native, body, expected]);
        Assert.That(make.ExitCode, Is.Zero, make.StdErr);
        var stow = Curl("-X", "POST", "-H", "Content-Type: multipart/related; type=\"application/dicom+json\"; boundary=j1", "-H", "Accept: application/dicom+json", "--data-binary", "@" + body, $"{CurlBase}/studies");
        Assert.That(stow.Status, Is.EqualTo(200), stow.Text + stow.Header("Warning"));
        RetrieveAndCompareWithPydicom(expected, "curl-json-retrieved.dcm");
    }

    [Test, Order(3)]
    public void Curl_sees_the_errors_of_the_standard()
    {
        StoreNative();
        var (study, series, sop) = Uids(Native);
        Assert.That(Curl($"{CurlBase}/studies/1.2.3.404/metadata").Status, Is.EqualTo(404));
        Assert.That(Curl("-H", "Accept: image/png", $"{CurlBase}/studies").Status, Is.EqualTo(406));
        Assert.That(Curl("-H", "Accept: multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50", $"{CurlBase}/studies/{study}").Status, Is.EqualTo(406));
        var bad = Curl($"{CurlBase}/studies?limit=x");
        Assert.That(bad.Status, Is.EqualTo(400));
        Assert.That(bad.Header("Warning"), Does.StartWith("299"));
        Assert.That(Curl("-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "{}", $"{CurlBase}/studies").Status, Is.EqualTo(415));
        Assert.That(Curl("-X", "POST", "-H", "Content-Type: multipart/related; type=\"application/dicom\"", "--data-binary", "x", $"{CurlBase}/studies").Status, Is.EqualTo(400), "no boundary");
        var preflight = Curl("-X", "OPTIONS", "-H", "Origin: http://viewer.example", "-H", "Access-Control-Request-Method: GET", $"{CurlBase}/studies");
        Assert.That(preflight.Status, Is.EqualTo(204));
        Assert.That(preflight.Header("Access-Control-Allow-Origin"), Is.EqualTo("*"));
        var gzip = Curl("-H", "Accept-Encoding: gzip", $"{CurlBase}/studies/{study}/metadata");
        Assert.That(gzip.Header("Content-Encoding"), Is.EqualTo("gzip"));
        Assert.That(gzip.Header("ETag"), Is.Not.Null);
        Assert.That(Curl("-H", $"If-None-Match: {gzip.Header("ETag")}", $"{CurlBase}/studies/{study}/metadata").Status, Is.EqualTo(304));
        var range = Curl("-r", "0-99", "-H", "Accept: application/octet-stream", $"{CurlBase}/studies/{study}/series/{series}/instances/{sop}/bulkdata/7FE00010");
        Assert.That(range.Status, Is.EqualTo(206));
        Assert.That(range.Body, Has.Length.EqualTo(100));
        Assert.That(range.Header("Content-Range"), Does.StartWith("bytes 0-99/"));
        var capabilities = Curl(_serve.Base);
        Assert.That(capabilities.Status, Is.EqualTo(200));
        Assert.That(JsonNode.Parse(capabilities.Text)!["resources"]!.AsArray(), Is.Not.Empty);
    }

    /// <summary>
    /// The NBIA Search REST API as TCIA's tcia_utils calls it (conformance/dicomweb/nbia_client.py: Python's urllib and
    /// zipfile, pydicom reading each file): over the corpus the first test stored, the value lists, patients, studies and
    /// MR series, and for each of five series its size, its SOP Instance UIDs and its zip agree.
    /// </summary>
    [Test, Order(5)]
    public void Python_reads_the_NBIA_API_as_tcia_utils_does()
    {
        var r = ExternalTool.Run(ExternalTool.Python, [Path.Combine(ServeProcess.ScriptFolder(), "nbia_client.py"), $"{_serve.Root}/nbia-api/services/v1", "default"], TimeSpan.FromMinutes(5));
        TestContext.Out.WriteLine(r.StdOut);
        Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
        var report = JsonNode.Parse(r.StdOut)!;
        Assert.That(report["collections"]!.AsArray().Select(c => c!.ToString()), Does.Contain("default"));
        Assert.That((int)report["mrSeries"]!, Is.GreaterThan(3));
        Assert.That((int)report["seriesChecked"]!, Is.EqualTo(5));
    }

    [Test, Order(4)]
    public void Curl_truncated_body_stores_nothing_of_the_cut_part()
    {
        var file = Path.Combine(Corpus.Root, "transfer-syntax/rle/MR_small_RLE.dcm");
        var bytes = File.ReadAllBytes(file);
        var path = Path.Combine(_work, "truncated");
        File.WriteAllBytes(path, [.. "--t\r\nContent-Type: application/dicom\r\n\r\n"u8.ToArray(), .. bytes.AsSpan(0, bytes.Length / 2)]);
        var r = Curl("-X", "POST", "-H", "Content-Type: multipart/related; type=\"application/dicom\"; boundary=t", "--data-binary", "@" + path, $"{_serve.Root}/collections/truncated/dicom-web/studies");
        Assert.That(r.Status, Is.EqualTo(409), r.Text);
        var query = Curl($"{_serve.Root}/collections/truncated/dicom-web/instances");
        Assert.That(query.Status, Is.EqualTo(200));
        Assert.That(JsonNode.Parse(query.Text)!.AsArray(), Is.Empty, "nothing half-stored");
        Assert.That(Directory.EnumerateFiles(Path.Combine(_serve.DataDirectory, "tmp", "web")), Is.Empty, "no spool file left");
    }
}
