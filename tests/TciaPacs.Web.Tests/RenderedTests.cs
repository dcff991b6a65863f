using System.Net;
using NUnit.Framework;
using SkiaSharp;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Testing;

namespace TciaPacs.Web.Tests;

/// <summary>/rendered, /thumbnail and WADO-URI: images decoded back with SkiaSharp and checked pixel by pixel where lossless.</summary>
public sealed class RenderedTests : WebServerFixture
{
    private const string Study = "1.2.826.0.1.3680043.10.548.1";
    private const string Series = Study + ".1";
    private const string Sop = Series + ".1";
    private string Instance => $"{Base}/studies/{Study}/series/{Series}/instances/{Sop}";
    private byte[] _file = [];
    private const string ColourJ2k = "transfer-syntax/jpeg2000-lossless/US1_J2KR.dcm"; // YBR_RCT, reversible

    [Test]
    public async Task Jpeg_2000_colour_renders_as_its_decoded_RGB()
    {
        var file = DicomFile.Open(Path.Combine(Corpus.Root, ColourJ2k));
        var ds = file.Dataset;
        var (response, image) = await Image($"{Base}/studies/{ds.GetString(DicomTags.StudyInstanceUID)}/series/{ds.GetString(DicomTags.SeriesInstanceUID)}/instances/{ds.GetString(DicomTags.SOPInstanceUID)}/rendered", "image/png");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        int columns = (int)ds.GetInt(DicomTags.Columns)!, rows = (int)ds.GetInt(DicomTags.Rows)!;
        Assert.That((image!.Width, image.Height), Is.EqualTo((columns, rows)));
        var rgb = DicomTranscoder.Default.Transcode(file, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray();
        var mismatches = 0;
        for (var y = 0; y < rows; y += 7)
            for (var x = 0; x < columns; x += 5)
            {
                var p = image.GetPixel(x, y);
                var at = (y * columns + x) * 3;
                if (p.Red != rgb[at] || p.Green != rgb[at + 1] || p.Blue != rgb[at + 2]) mismatches++;
            }
        Assert.That(mismatches, Is.Zero, "PNG pixels are the decoded RGB samples");
        Assert.That(rgb.Distinct().Count(), Is.GreaterThan(64), "an image, not a constant");
    }

    [OneTimeSetUp]
    public async Task Store()
    {
        _file = MakeInstance(Study, Series, Sop, frames: 2);
        var rle = await File.ReadAllBytesAsync(Path.Combine(Corpus.Root, "transfer-syntax/rle/MR_small_RLE.dcm"));
        var jpeg = await File.ReadAllBytesAsync(Path.Combine(Corpus.Root, "edge-cases/meta/SC_rgb_jpeg.dcm"));
        var jxl = Bytes(Undecodable()); // no decoder
        var j2k = await File.ReadAllBytesAsync(Path.Combine(Corpus.Root, ColourJ2k));
        Assert.That((await StowAsync([_file, rle, jpeg, jxl, j2k, Bytes(Htj2k())])).Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private async Task<(HttpResponseMessage, SKBitmap?)> Image(string url, string? accept = null)
    {
        var response = await Http.SendAsync(Get(url, accept));
        if (response.StatusCode != HttpStatusCode.OK) return (response, null);
        return (response, SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync()));
    }

    /// <summary>The stored value of pixel i of frame 1, as MakeInstance wrote it.</summary>
    private static int Stored(int i) => (i * 7 + Sop.Length) % 4096;

    [Test]
    public async Task Rendered_as_multipart_gives_every_image_of_the_resource()
    {
        // A study of three single-frame instances and the two-frame instance: one part each.
        var study = Study + ".77";
        var files = Enumerable.Range(1, 3).Select(i => MakeInstance(study, study + ".1", $"{study}.1.{i}")).ToList();
        Assert.That((await StowAsync(files)).Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        const string png = "multipart/related; type=\"image/png\"";
        using var all = await Http.SendAsync(Get($"{Base}/studies/{study}/rendered", png));
        var parts = await ReadParts(all);
        Assert.That(parts, Has.Count.EqualTo(3));
        foreach (var (headers, body) in parts)
        {
            Assert.That(headers["Content-Type"], Does.StartWith("image/png"));
            Assert.That(SKBitmap.Decode(body).Width, Is.EqualTo(64));
        }
        using var frames = await Http.SendAsync(Get($"{Instance}/rendered", "multipart/related; type=\"image/jpeg\""));
        var frameParts = await ReadParts(frames);
        Assert.That(frameParts, Has.Count.EqualTo(2), "every frame of a two-frame instance");
        Assert.That(frameParts.Select(p => p.Body[..2]), Has.All.EqualTo(new byte[] { 0xFF, 0xD8 }));
        using var listed = await Http.SendAsync(Get($"{Instance}/frames/2,1,2/rendered", png));
        Assert.That(await ReadParts(listed), Has.Count.EqualTo(3), "every listed frame");
        using var missing = await Http.SendAsync(Get($"{Instance}/frames/1,9/rendered", png));
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a listed frame the instance lacks, before any part is sent");
        using var single = await Http.SendAsync(Get($"{Base}/studies/{study}/rendered", "image/png"));
        Assert.That(single.Content.Headers.ContentType!.MediaType, Is.EqualTo("image/png"), "a single image when asked for one");
        using var thumbnail = await Http.SendAsync(Get($"{Base}/studies/{study}/thumbnail", png));
        Assert.That(thumbnail.Content.Headers.ContentType!.MediaType, Is.EqualTo("image/png"), "a thumbnail is one image (PS3.18 10.4.1.1.6)");
    }

    [Test]
    public async Task Rendered_png_applies_the_window_exactly()
    {
        var (response, bitmap) = await Image($"{Instance}/rendered?window=2048,4096", "image/png");
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("image/png"));
        Assert.That((bitmap!.Width, bitmap.Height), Is.EqualTo((64, 64)));
        foreach (var i in new[] { 0, 1, 100, 4095 })
        {
            var expected = (int)Math.Round(((Stored(i) - 2047.5) / 4095 + 0.5) * 255);
            Assert.That(bitmap.GetPixel(i % 64, i / 64).Red, Is.EqualTo((byte)Math.Clamp(expected, 0, 255)), $"pixel {i}");
        }
        var (_, narrow) = await Image($"{Instance}/rendered?window=100,10", "image/png");
        Assert.That(Stored(0), Is.LessThan(95));
        Assert.That(narrow!.GetPixel(0, 0).Red, Is.EqualTo(0), "below the window");
        Assert.That(Stored(20), Is.GreaterThan(105));
        Assert.That(narrow.GetPixel(20, 0).Red, Is.EqualTo(255), "above the window");
    }

    [Test]
    public async Task Rendered_jpeg_by_default_with_viewport_quality_frames_and_thumbnails()
    {
        var (response, bitmap) = await Image($"{Instance}/rendered");
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("image/jpeg"));
        Assert.That(bitmap!.Width, Is.EqualTo(64));
        var (_, small) = await Image($"{Instance}/rendered?viewport=32,16&quality=50");
        Assert.That((small!.Width, small.Height), Is.EqualTo((16, 16)), "fits the viewport, keeping the aspect ratio");
        var (frame2, _) = await Image($"{Instance}/frames/2/rendered");
        Assert.That(frame2.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var (frame3, _) = await Image($"{Instance}/frames/3/rendered");
        Assert.That(frame3.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        foreach (var url in new[] { $"{Base}/studies/{Study}/thumbnail", $"{Base}/studies/{Study}/series/{Series}/thumbnail", $"{Instance}/thumbnail", $"{Base}/studies/{Study}/rendered" })
        {
            var (r, b) = await Image(url);
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), url);
            Assert.That(b!.Width, Is.LessThanOrEqualTo(128), url);
        }
    }

    [Test]
    public async Task Rle_jpeg_and_htj2k_render_jpeg_xl_is_406_and_bad_parameters_are_400()
    {
        var rle = DicomFile.Open(Path.Combine(Corpus.Root, "transfer-syntax/rle/MR_small_RLE.dcm")).Dataset;
        var rleUrl = $"{Base}/studies/{rle.GetString(DicomTags.StudyInstanceUID)}/series/{rle.GetString(DicomTags.SeriesInstanceUID)}/instances/{rle.GetString(DicomTags.SOPInstanceUID)}";
        var (ok, image) = await Image($"{rleUrl}/rendered", "image/png");
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(image!.Width, Is.EqualTo(rle.GetInt(DicomTags.Columns)));
        var jpeg = DicomFile.Open(Path.Combine(Corpus.Root, "edge-cases/meta/SC_rgb_jpeg.dcm")).Dataset;
        var (rendered, colour) = await Image($"{Base}/studies/{jpeg.GetString(DicomTags.StudyInstanceUID)}/series/{jpeg.GetString(DicomTags.SeriesInstanceUID)}/instances/{jpeg.GetString(DicomTags.SOPInstanceUID)}/rendered", "image/png");
        Assert.That(rendered.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((colour!.Width, colour.Height), Is.EqualTo((jpeg.GetInt(DicomTags.Columns), jpeg.GetInt(DicomTags.Rows))));
        var ht = Htj2k().Dataset;
        var (htRendered, htImage) = await Image($"{Base}/studies/{ht.GetString(DicomTags.StudyInstanceUID)}/series/{ht.GetString(DicomTags.SeriesInstanceUID)}/instances/{ht.GetString(DicomTags.SOPInstanceUID)}/rendered", "image/png");
        Assert.That(htRendered.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((htImage!.Width, htImage.Height), Is.EqualTo((ht.GetInt(DicomTags.Columns), ht.GetInt(DicomTags.Rows))));
        var ls = Undecodable().Dataset;
        var (notAcceptable, _) = await Image($"{Base}/studies/{ls.GetString(DicomTags.StudyInstanceUID)}/series/{ls.GetString(DicomTags.SeriesInstanceUID)}/instances/{ls.GetString(DicomTags.SOPInstanceUID)}/rendered");
        Assert.That(notAcceptable.StatusCode, Is.EqualTo(HttpStatusCode.NotAcceptable));
        foreach (var bad in new[] { "quality=0", "quality=x", "window=1", "window=1,0", "window=1,2,cubic", "viewport=0,1" })
            Assert.That((await Image($"{Instance}/rendered?{bad}")).Item1.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), bad);
        Assert.That((await Image($"{Instance}/rendered", "application/dicom")).Item1.StatusCode, Is.EqualTo(HttpStatusCode.NotAcceptable));
    }

    [Test]
    public async Task Wado_uri_gives_the_file_or_an_image()
    {
        var root = $"http://127.0.0.1:{Server.Port}/wado?requestType=WADO&studyUID={Study}&seriesUID={Series}&objectUID={Sop}";
        using (var file = await Http.SendAsync(Get(root + "&contentType=application/dicom")))
        {
            Assert.That(file.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(file.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/dicom"));
            Assert.That(await file.Content.ReadAsByteArrayAsync(), Is.EqualTo(_file));
        }
        using (var implicitVr = await Http.SendAsync(Get(root + "&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2")))
            Assert.That(DicomFile.Read(await implicitVr.Content.ReadAsStreamAsync()).TransferSyntax.Uid, Is.EqualTo("1.2.840.10008.1.2"));
        // A lossless compressed syntax we encode: the file comes in it, and decodes to the pixels stored.
        using (var jls = await Http.SendAsync(Get(root + "&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.4.80")))
        {
            Assert.That(jls.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            var file = DicomFile.Read(await jls.Content.ReadAsStreamAsync());
            Assert.That(file.TransferSyntax.Uid, Is.EqualTo("1.2.840.10008.1.2.4.80"));
            var decoded = new DicomTranscoder().Transcode(file, TransferSyntax.ExplicitVRLittleEndian);
            Assert.That(decoded.Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(DicomFile.Read(new MemoryStream(_file)).Dataset.GetBytes(DicomTags.PixelData).ToArray()));
        }
        using (var lossy = await Http.SendAsync(Get(root + "&contentType=application/dicom&transferSyntax=1.2.840.10008.1.2.4.50")))
            Assert.That(lossy.StatusCode, Is.EqualTo(HttpStatusCode.NotAcceptable), "no lossy encoding");
        var (jpeg, bitmap) = await Image(root);
        Assert.That(jpeg.Content.Headers.ContentType!.MediaType, Is.EqualTo("image/jpeg"));
        Assert.That(bitmap!.Width, Is.EqualTo(64));
        var (_, png) = await Image(root + "&contentType=image/png&rows=32&columns=32&windowCenter=2048&windowWidth=4096&frameNumber=2");
        Assert.That((png!.Width, png.Height), Is.EqualTo((32, 32)));
        Assert.That((await Image($"{Base}/wado?requestType=WADO&studyUID={Study}&seriesUID={Series}&objectUID={Sop}&contentType=image/png")).Item1.StatusCode, Is.EqualTo(HttpStatusCode.OK), "under the DICOMweb base too");
        Assert.That((await Image(root.Replace("requestType=WADO", "requestType=XYZ", StringComparison.Ordinal))).Item1.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await Image(root.Replace($"&objectUID={Sop}", "", StringComparison.Ordinal))).Item1.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await Image(root.Replace($"objectUID={Sop}", "objectUID=1.2.3.404", StringComparison.Ordinal))).Item1.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await Image(root + "&contentType=text/html")).Item1.StatusCode, Is.EqualTo(HttpStatusCode.NotAcceptable));
        Assert.That((await Image(root + "&windowCenter=10")).Item1.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }
}
