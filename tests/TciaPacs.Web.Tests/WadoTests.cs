using System.Net;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Dicom.Formats;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Web.Tests;

/// <summary>WADO-RS retrieve negotiation, frames, bulk data with ranges, metadata ETags, 404s, CORS, gzip and capabilities.</summary>
public sealed class WadoTests : WebServerFixture
{
    private const string Study = "1.2.826.0.1.3680043.10.547.1";
    private const string Series = Study + ".1";
    private const string Sop = Series + ".1";
    private static readonly string Rle = Path.Combine(Corpus.Root, "transfer-syntax/rle/MR_small_RLE.dcm");
    private static readonly string Jpeg = Path.Combine(Corpus.Root, "edge-cases/meta/SC_rgb_jpeg.dcm");
    // No decoder: the case of a syntax we cannot produce native data from.
    private static readonly DicomFile Jxl = Undecodable();
    private static readonly DicomFile RecompressedJpeg = JpegXl();
    private static readonly DicomFile Ht = Htj2k();
    private byte[] _native = [];

    private string InstanceUrl(DicomDataset ds) =>
        $"{Base}/studies/{ds.GetString(DicomTags.StudyInstanceUID)}/series/{ds.GetString(DicomTags.SeriesInstanceUID)}/instances/{ds.GetString(DicomTags.SOPInstanceUID)}";

    private static DicomFile Open(string path) => DicomFile.Open(path, new DicomReadOptions { LargeValueThreshold = long.MaxValue });

    [OneTimeSetUp]
    public async Task Store()
    {
        _native = MakeInstance(Study, Series, Sop, frames: 3);
        var (response, _) = await StowAsync([_native, await File.ReadAllBytesAsync(Rle), await File.ReadAllBytesAsync(Jpeg), Bytes(Jxl), Bytes(Ht), Bytes(RecompressedJpeg)]);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private async Task<List<(Dictionary<string, string> Headers, byte[] Body)>> Parts(string url, string accept)
    {
        using var response = await Http.SendAsync(Get(url, accept));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return await ReadParts(response);
    }

    private async Task<HttpStatusCode> Status(string url, string? accept = null)
    {
        using var response = await Http.SendAsync(Get(url, accept));
        return response.StatusCode;
    }

    [Test]
    public async Task A_JPEG_XL_instance_and_its_frames_come_decoded()
    {
        var url = InstanceUrl(RecompressedJpeg.Dataset);
        var decoded = DicomFile.Read(new MemoryStream((await Parts(url, "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1"))[0].Body));
        Assert.That(decoded.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("RGB"));
        var expected = new DicomTranscoder().Transcode(RecompressedJpeg, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray();
        Assert.That(decoded.Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(expected), "27 frames decoded with libjxl");
        var frame = await Parts(url + "/frames/27", "multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.1");
        Assert.That(frame[0].Body, Is.EqualTo(expected[^(708 * 1016 * 3)..]), "the last frame alone");
        var asStored = await Parts(url, "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
        Assert.That(asStored[0].Headers["Content-Type"], Does.Contain("transfer-syntax=1.2.840.10008.1.2.4.111"), "as stored when asked so");
    }

    [TestCase("1.2.840.10008.1.2")]
    [TestCase("1.2.840.10008.1.2.2")]
    [TestCase("1.2.840.10008.1.2.1.99")]
    public async Task Native_instances_come_back_in_any_uncompressed_syntax_asked_for(string ts)
    {
        var parts = await Parts($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}", $"multipart/related; type=\"application/dicom\"; transfer-syntax={ts}");
        Assert.That(parts, Has.Count.EqualTo(1));
        Assert.That(parts[0].Headers["Content-Type"], Does.Contain($"transfer-syntax={ts}"));
        var back = DicomFile.Read(new MemoryStream(parts[0].Body));
        Assert.That(back.TransferSyntax.Uid, Is.EqualTo(ts));
        var original = DicomFile.Read(new MemoryStream(_native));
        Assert.That(JsonNode.DeepEquals(CanonicalTree.FromDataset(original.Dataset), CanonicalTree.FromDataset(back.Dataset)), Is.True);
    }

    [Test]
    public async Task Rle_is_decoded_on_request_and_syntaxes_we_cannot_produce_are_406()
    {
        var rle = Open(Rle);
        var url = InstanceUrl(rle.Dataset);
        var decoded = await Parts(url, "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1");
        var back = DicomFile.Read(new MemoryStream(decoded[0].Body));
        var expected = new DicomTranscoder().Transcode(rle, TransferSyntax.ExplicitVRLittleEndian);
        Assert.That(back.Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(expected.Dataset.GetBytes(DicomTags.PixelData).ToArray()));
        var asStored = await Parts(url, "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
        Assert.That(asStored[0].Body, Is.EqualTo(await File.ReadAllBytesAsync(Rle)));

        var jpegFile = Open(Jpeg);
        var jpegDecoded = DicomFile.Read(new MemoryStream((await Parts(InstanceUrl(jpegFile.Dataset), "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1"))[0].Body));
        Assert.That(jpegDecoded.TransferSyntax.Uid, Is.EqualTo(TransferSyntax.ExplicitVRLittleEndian.Uid));
        Assert.That(jpegDecoded.Dataset.GetBytes(DicomTags.PixelData).ToArray(),
            Is.EqualTo(new DicomTranscoder().Transcode(jpegFile, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray()));
        var htDecoded = DicomFile.Read(new MemoryStream((await Parts(InstanceUrl(Ht.Dataset), "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1"))[0].Body));
        Assert.That(htDecoded.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("RGB"));
        Assert.That(htDecoded.Dataset.GetBytes(DicomTags.PixelData).ToArray(),
            Is.EqualTo(new DicomTranscoder().Transcode(Ht, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray()), "HTJ2K decoded");
        var jpeg = InstanceUrl(Jxl.Dataset);
        Assert.That(await Status(jpeg, "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.1"), Is.EqualTo(HttpStatusCode.NotAcceptable), "no JPEG 2000 Part 2 decoder");
        Assert.That(await Status($"{Base}/studies/{Study}", "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50"), Is.EqualTo(HttpStatusCode.NotAcceptable), "instances are not sent lossy");
        Assert.That(await Status($"{Base}/studies/{Study}", "image/png"), Is.EqualTo(HttpStatusCode.NotAcceptable));
        var fallback = await Parts(jpeg, "multipart/related; type=\"application/dicom\"");
        Assert.That(fallback[0].Headers["Content-Type"], Does.Contain("transfer-syntax=" + UndecodableSyntax), "without a transfer-syntax parameter, what cannot be decoded comes as stored");
    }

    /// <summary>
    /// The lossless syntaxes we encode (RLE, JPEG Lossless, JPEG-LS Lossless, JPEG 2000 Lossless, HTJ2K Lossless RPCL)
    /// are produced on request, from native data and from data we decode; dcmtk, GDCM or OpenJPEG decode what we send to
    /// the pixels we hold. Lossy ones stay 406.
    /// </summary>
    [TestCase("1.2.840.10008.1.2.4.80", "dcmdjpls")]
    [TestCase("1.2.840.10008.1.2.5", "dcmdrle")]
    [TestCase("1.2.840.10008.1.2.4.70", "dcmdjpeg")]
    [TestCase("1.2.840.10008.1.2.4.90", "gdcmconv")]
    [TestCase("1.2.840.10008.1.2.4.202", "opj_decompress")]
    public async Task Lossless_compressed_syntaxes_are_encoded_on_request(string ts, string decoder)
    {
        var parts = await Parts($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}", $"multipart/related; type=\"application/dicom\"; transfer-syntax={ts}");
        Assert.That(parts[0].Headers["Content-Type"], Does.Contain($"transfer-syntax={ts}"));
        var temp = Directory.CreateTempSubdirectory("tciapacs-wado-encoded-").FullName;
        try
        {
            var sent = Path.Combine(temp, "sent.dcm");
            var decoded = Path.Combine(temp, "decoded.dcm");
            await File.WriteAllBytesAsync(sent, parts[0].Body);
            Assert.That(DicomFile.Open(sent).TransferSyntax.Uid, Is.EqualTo(ts));
            Assert.That(EncapsulatedFrames.FromDataset(DicomFile.Open(sent).Dataset).Count, Is.EqualTo(3), "one fragment per frame");
            var original = DicomFile.Read(new MemoryStream(_native)).Dataset.GetBytes(DicomTags.PixelData).ToArray();
            if (decoder == "opj_decompress")
            {
                // No DICOM toolkit here reads HTJ2K; OpenJPEG decodes each frame's codestream (12 bits in 2 bytes, as stored).
                var frames = EncapsulatedFrames.FromDataset(DicomFile.Open(sent).Dataset);
                var frameSize = original.Length / 3;
                for (var f = 0; f < 3; f++)
                {
                    var codestream = Path.Combine(temp, "frame.j2c");
                    var raw = Path.Combine(temp, "frame.rawl");
                    await File.WriteAllBytesAsync(codestream, frames.GetFrame(f).ToArray());
                    var o = ExternalTool.Run(ExternalTool.Require(decoder), ["-i", codestream, "-o", raw]);
                    Assert.That(o.ExitCode, Is.Zero, o.StdErr + o.StdOut);
                    Assert.That(await File.ReadAllBytesAsync(raw), Is.EqualTo(original[(f * frameSize)..((f + 1) * frameSize)]), $"frame {f + 1}");
                }
            }
            else
            {
                var r = ExternalTool.Run(ExternalTool.Require(decoder), [.. decoder == "gdcmconv" ? new[] { "--raw" } : [], sent, decoded]);
                Assert.That(r.ExitCode, Is.Zero, r.StdErr);
                Assert.That(DicomFile.Open(decoded).Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(original));
            }
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }

        // From a JPEG baseline instance: decoded, then re-encoded without loss of what it holds; still marked lossy.
        var jpegFile = Open(Jpeg);
        var fromJpeg = DicomFile.Read(new MemoryStream((await Parts(InstanceUrl(jpegFile.Dataset), $"multipart/related; type=\"application/dicom\"; transfer-syntax={ts}"))[0].Body));
        Assert.That(fromJpeg.TransferSyntax.Uid, Is.EqualTo(ts));
        Assert.That(fromJpeg.Dataset.GetString(DicomTags.LossyImageCompression), Is.EqualTo("01"), "once lossy, always marked lossy (PS3.3 C.7.6.1.1.5)");
        Assert.That(new DicomTranscoder().Transcode(fromJpeg, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray(),
            Is.EqualTo(new DicomTranscoder().Transcode(jpegFile, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray()));
        Assert.That(await Status(InstanceUrl(Jxl.Dataset), $"multipart/related; type=\"application/dicom\"; transfer-syntax={ts}"), Is.EqualTo(HttpStatusCode.NotAcceptable), "nothing decodes JPEG 2000 Part 2");
        Assert.That(await Status($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}", "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.81"),
            Is.EqualTo(HttpStatusCode.NotAcceptable), "near-lossless is lossy: not produced");
    }

    [Test]
    public async Task One_instance_as_plain_application_dicom()
    {
        using var response = await Http.SendAsync(Get($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}", "application/dicom; transfer-syntax=*"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/dicom"));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(_native));
    }

    [Test]
    public async Task Native_frames_are_slices_of_the_pixel_data()
    {
        var pixels = DicomFile.Read(new MemoryStream(_native)).Dataset.GetBytes(DicomTags.PixelData).ToArray();
        const int frameSize = 64 * 64 * 2;
        var parts = await Parts($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}/frames/3,1", "multipart/related; type=\"application/octet-stream\"");
        Assert.That(parts, Has.Count.EqualTo(2));
        Assert.That(parts[0].Body, Is.EqualTo(pixels[(2 * frameSize)..(3 * frameSize)]));
        Assert.That(parts[1].Body, Is.EqualTo(pixels[..frameSize]));
        Assert.That(parts[0].Headers["Content-Type"], Does.StartWith("application/octet-stream"));
        Assert.That(await Status($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}/frames/4"), Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await Status($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}/frames/0"), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Status($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}/frames/1,x"), Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Encapsulated_frames_as_stored_or_decoded()
    {
        var rle = Open(Rle);
        var frames = EncapsulatedFrames.FromDataset(rle.Dataset);
        var url = InstanceUrl(rle.Dataset) + "/frames/1";
        var stored = await Parts(url, "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*");
        Assert.That(stored[0].Body, Is.EqualTo(frames.GetFrame(0).ToArray()));
        Assert.That(stored[0].Headers["Content-Type"], Does.Contain("transfer-syntax=1.2.840.10008.1.2.5"));
        var decoded = await Parts(url, "multipart/related; type=\"application/octet-stream\"");
        var expected = new DicomTranscoder().Transcode(rle, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray();
        Assert.That(decoded[0].Body, Is.EqualTo(expected[..decoded[0].Body.Length]));

        var jpeg = Open(Jpeg);
        var jpegUrl = InstanceUrl(jpeg.Dataset) + "/frames/1";
        var image = await Parts(jpegUrl, "multipart/related; type=\"image/jpeg\"");
        Assert.That(image[0].Headers["Content-Type"], Does.StartWith("image/jpeg"));
        Assert.That(image[0].Body, Is.EqualTo(EncapsulatedFrames.FromDataset(jpeg.Dataset).GetFrame(0).ToArray()));
        Assert.That(image[0].Body[..2], Is.EqualTo(new byte[] { 0xFF, 0xD8 }));
        var native = await Parts(jpegUrl, "multipart/related; type=\"application/octet-stream\"");
        Assert.That(native[0].Body, Is.EqualTo(new DicomTranscoder().Transcode(jpeg, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray()[..native[0].Body.Length]));
        Assert.That(await Status(InstanceUrl(Jxl.Dataset) + "/frames/1", "multipart/related; type=\"application/octet-stream\""), Is.EqualTo(HttpStatusCode.NotAcceptable));
        var htFrame = await Parts(InstanceUrl(Ht.Dataset) + "/frames/1", "multipart/related; type=\"application/octet-stream\"");
        Assert.That(htFrame[0].Body, Is.EqualTo(new DicomTranscoder().Transcode(Ht, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray()), "an HTJ2K frame, decoded");
    }

    /// <summary>
    /// Frames in a lossless compressed media type we encode, from native frames and from decoded ones: image/jls
    /// (JPEG-LS Lossless, its default), image/dicom-rle, image/jpeg with the SV1 transfer-syntax, image/jp2 (JPEG 2000
    /// Lossless, its default), image/jphc (HTJ2K Lossless, or with RPCL); each decodes to the native frame. image/jpeg
    /// without one means baseline, which is lossy: 406.
    /// </summary>
    [TestCase("image/jls", null, "1.2.840.10008.1.2.4.80")]
    [TestCase("image/dicom-rle", null, "1.2.840.10008.1.2.5")]
    [TestCase("image/jpeg", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.70")]
    [TestCase("image/jp2", null, "1.2.840.10008.1.2.4.90")]
    [TestCase("image/jphc", null, "1.2.840.10008.1.2.4.201")]
    [TestCase("image/jphc", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.202")]
    public async Task Frames_are_encoded_in_a_lossless_media_type_on_request(string type, string? ts, string expected)
    {
        var accept = $"multipart/related; type=\"{type}\"" + (ts != null ? $"; transfer-syntax={ts}" : "");
        var codec = CodecRegistry.Default.Get(TransferSyntax.Lookup(expected));
        var original = DicomFile.Read(new MemoryStream(_native));
        var info = PixelDataInfo.FromDataset(original.Dataset);
        var pixels = original.Dataset.GetBytes(DicomTags.PixelData).ToArray();
        var parts = await Parts($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}/frames/2,3", accept);
        Assert.That(parts, Has.Count.EqualTo(2));
        for (var i = 0; i < 2; i++)
        {
            Assert.That(parts[i].Headers["Content-Type"], Does.StartWith(type).And.Contain($"transfer-syntax={expected}"));
            var decoded = new byte[info.FrameSize];
            codec.DecodeFrame(parts[i].Body, info, decoded);
            Assert.That(decoded, Is.EqualTo(pixels[((i + 1) * (int)info.FrameSize)..((i + 2) * (int)info.FrameSize)]), $"frame {i + 2}");
        }
        // From a stored RLE frame: decoded, then encoded.
        var rle = Open(Rle);
        var rleInfo = PixelDataInfo.FromDataset(rle.Dataset);
        var fromRle = await Parts(InstanceUrl(rle.Dataset) + "/frames/1", accept);
        var expectedRle = new DicomTranscoder().Transcode(rle, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray()[..(int)rleInfo.FrameSize];
        var rleDecoded = new byte[rleInfo.FrameSize];
        codec.DecodeFrame(fromRle[0].Body, rleInfo, rleDecoded);
        Assert.That(rleDecoded, Is.EqualTo(expectedRle));
        Assert.That(await Status($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}/frames/1", "multipart/related; type=\"image/jpeg\""), Is.EqualTo(HttpStatusCode.NotAcceptable), "image/jpeg alone means JPEG Baseline, which holds no 12-bit sample");
        Assert.That(await Status(InstanceUrl(Jxl.Dataset) + "/frames/1", accept), Is.EqualTo(HttpStatusCode.NotAcceptable), "nothing decodes JPEG 2000 Part 2");
    }

    /// <summary>
    /// Frames in lossy JPEG on request: <c>image/jpeg</c> with JPEG Extended named gets the 12-bit frames as 12-bit
    /// JPEG (SOF1), close to the native frame; a lossy JPEG RGB frame re-encoded in it decodes with SkiaSharp (IJG
    /// libjpeg-turbo), an independent decoder, close to ours of the stored frame; <c>image/jpeg</c> alone means JPEG
    /// Baseline, as stored for the JPEG instance, rebuilt exactly from a JPEG XL JPEG Recompression one, and 406 for
    /// 12-bit samples; signed samples are never coded lossy.
    /// </summary>
    [Test]
    public async Task Frames_are_encoded_in_lossy_JPEG_on_request()
    {
        const string Extended = "1.2.840.10008.1.2.4.51";
        var accept = $"multipart/related; type=\"image/jpeg\"; transfer-syntax={Extended}";
        var original = DicomFile.Read(new MemoryStream(_native));
        var info = PixelDataInfo.FromDataset(original.Dataset);
        var pixels = original.Dataset.GetBytes(DicomTags.PixelData).ToArray();
        var parts = await Parts($"{Base}/studies/{Study}/series/{Series}/instances/{Sop}/frames/2", accept);
        Assert.That(parts[0].Headers["Content-Type"], Does.StartWith("image/jpeg").And.Contain($"transfer-syntax={Extended}"));
        var jpeg = parts[0].Body;
        Assert.That(jpeg[..2], Is.EqualTo(new byte[] { 0xFF, 0xD8 }));
        var sof = Array.FindIndex(jpeg, 2, b => b == 0xC1);
        Assert.That(sof > 0 && jpeg[sof - 1] == 0xFF && jpeg[sof + 3] == 12, Is.True, "a 12-bit extended sequential frame (SOF1)");
        var decoded = new byte[info.FrameSize];
        CodecRegistry.Default.Get(TransferSyntax.Lookup(Extended)).DecodeFrame(jpeg, info with { NumberOfFrames = 1 }, decoded);
        var frame = pixels.AsSpan((int)info.FrameSize, (int)info.FrameSize);
        double error = 0;
        for (var i = 0; i < decoded.Length; i += 2) error += Math.Abs(BitConverter.ToUInt16(decoded, i) - BitConverter.ToUInt16(frame[i..]));
        Assert.That(error / (decoded.Length / 2), Is.LessThan(100), "mean error on a 0-4095 sawtooth, at quality 90");

        // A lossy RGB frame, decoded and coded again in JPEG Extended (8-bit): SkiaSharp's libjpeg-turbo reads it.
        var stored = Open(Jpeg);
        var storedInfo = PixelDataInfo.FromDataset(stored.Dataset);
        var rgb = new DicomTranscoder().Transcode(stored, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray();
        var again = (await Parts(InstanceUrl(stored.Dataset) + "/frames/1", accept))[0];
        Assert.That(again.Headers["Content-Type"], Does.Contain($"transfer-syntax={Extended}"));
        using (var bitmap = SkiaSharp.SKBitmap.Decode(again.Body))
        {
            Assert.That(bitmap, Is.Not.Null, "SkiaSharp decodes the frame");
            Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((storedInfo.Columns, storedInfo.Rows)));
            double sum = 0;
            for (var y = 0; y < bitmap.Height; y++)
                for (var x = 0; x < bitmap.Width; x++)
                {
                    var c = bitmap.GetPixel(x, y);
                    var at = (y * bitmap.Width + x) * 3;
                    sum += Math.Abs(c.Red - rgb[at]) + Math.Abs(c.Green - rgb[at + 1]) + Math.Abs(c.Blue - rgb[at + 2]);
                }
            Assert.That(sum / (bitmap.Width * bitmap.Height * 3), Is.LessThan(3), "mean error per sample against the stored frame decoded");
        }
        var asStored = (await Parts(InstanceUrl(stored.Dataset) + "/frames/1", "multipart/related; type=\"image/jpeg\""))[0];
        Assert.That(asStored.Headers["Content-Type"], Does.Contain("transfer-syntax=1.2.840.10008.1.2.4.50"), "JPEG Baseline as stored");
        Assert.That(asStored.Body.AsSpan(0, EncapsulatedFrames.FromDataset(stored.Dataset).GetFrame(0).Length - 2).ToArray(),
            Is.EqualTo(EncapsulatedFrames.FromDataset(stored.Dataset).GetFrame(0).Span[..^2].ToArray()), "the stored bytes");
        // A JPEG XL JPEG Recompression frame as image/jpeg: the JPEG it was made from, rebuilt, not coded again.
        var recompressed = (await Parts(InstanceUrl(RecompressedJpeg.Dataset) + "/frames/5", "multipart/related; type=\"image/jpeg\""))[0];
        Assert.That(recompressed.Headers["Content-Type"], Does.Contain("transfer-syntax=1.2.840.10008.1.2.4.50"));
        var folder = Directory.CreateTempSubdirectory("tciapacs-djxl-").FullName;
        try
        {
            var jxl = Path.Combine(folder, "frame5.jxl");
            await File.WriteAllBytesAsync(jxl, EncapsulatedFrames.FromDataset(RecompressedJpeg.Dataset).GetFrame(4).ToArray());
            var run = ExternalTool.Run(ExternalTool.Require("djxl"), [jxl, Path.Combine(folder, "frame5.jpg")]);
            Assert.That(run.ExitCode, Is.Zero, run.StdErr);
            Assert.That(recompressed.Body, Is.EqualTo(await File.ReadAllBytesAsync(Path.Combine(folder, "frame5.jpg"))), "the JPEG djxl rebuilds");
        }
        finally
        {
            Directory.Delete(folder, true);
        }
        var rle = Open(Rle);
        Assert.That(rle.Dataset.GetInt(DicomTags.PixelRepresentation), Is.EqualTo(1), "the RLE MR is signed");
        Assert.That(await Status(InstanceUrl(rle.Dataset) + "/frames/1", accept), Is.EqualTo(HttpStatusCode.NotAcceptable), "signed samples are not coded lossy");
    }

    /// <summary>
    /// One frame, one byte range (a viewer loading an HTJ2K RPCL frame progressively reads its first bytes, the lowest
    /// resolutions, first): 206 with Content-Range, the part or body being those bytes of the whole frame; the first
    /// tile-part, as the TLM marker segment gives it, decodes on its own to the lowest resolution's size.
    /// </summary>
    [Test]
    public async Task A_frame_is_served_in_byte_ranges()
    {
        var frameUrl = $"{Base}/studies/{Study}/series/{Series}/instances/{Sop}/frames/2";
        const string Accept = "multipart/related; type=\"image/jphc\"; transfer-syntax=1.2.840.10008.1.2.4.202";
        var whole = (await Parts(frameUrl, Accept))[0].Body;
        Assert.That(whole[..2], Is.EqualTo(new byte[] { 0xFF, 0x4F }), "a codestream");

        var request = Get(frameUrl, Accept);
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 299);
        using (var response = await Http.SendAsync(request))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That(response.Content.Headers.ContentRange!.ToString(), Is.EqualTo($"bytes 0-299/{whole.Length}"));
            var parts = await ReadParts(response);
            Assert.That(parts, Has.Count.EqualTo(1));
            Assert.That(parts[0].Body, Is.EqualTo(whole[..300]));
        }
        var single = Get(frameUrl, "image/jphc; transfer-syntax=1.2.840.10008.1.2.4.202");
        single.Headers.TryAddWithoutValidation("Range", "bytes=100-");
        using (var response = await Http.SendAsync(single))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That(response.Headers.AcceptRanges, Does.Contain("bytes"));
            Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(whole[100..]));
        }
        var outside = Get(frameUrl, "image/jphc; transfer-syntax=1.2.840.10008.1.2.4.202");
        outside.Headers.TryAddWithoutValidation("Range", $"bytes={whole.Length}-");
        using (var response = await Http.SendAsync(outside))
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestedRangeNotSatisfiable));

        // The main header and the first tile-part (TLM's first length) are the lowest resolution, decodable alone.
        var tlm = IndexOf(whole, 0xFF, 0x55);
        var firstPart = whole[tlm + 6] << 24 | whole[tlm + 7] << 16 | whole[tlm + 8] << 8 | whole[tlm + 9];
        var sot = IndexOf(whole, 0xFF, 0x90);
        var prefix = whole[..(sot + firstPart)].Concat(new byte[] { 0xFF, 0xD9 }).ToArray();
        var temp = Directory.CreateTempSubdirectory("tciapacs-wado-range-").FullName;
        try
        {
            var input = Path.Combine(temp, "lowest.j2c");
            var output = Path.Combine(temp, "lowest.pgm");
            await File.WriteAllBytesAsync(input, prefix);
            var info = PixelDataInfo.FromDataset(DicomFile.Read(new MemoryStream(_native)).Dataset);
            var levels = whole[IndexOf(whole, 0xFF, 0x52) + 9];
            var r = ExternalTool.Run(ExternalTool.Require("opj_decompress"), ["-i", input, "-o", output, "-r", levels.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.That(r.ExitCode, Is.Zero, r.StdErr + r.StdOut);
            // P5, a comment (OpenJPEG's name), then the width and height.
            var header = System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync(output)).Split('\n').Where(l => !l.StartsWith('#')).ToList();
            Assert.That(header[1], Is.EqualTo($"{(info.Columns + (1 << levels) - 1) >> levels} {(info.Rows + (1 << levels) - 1) >> levels}"), "the lowest resolution");
        }
        finally
        {
            Directory.Delete(temp, true);
        }
    }

    private static int IndexOf(byte[] data, byte a, byte b)
    {
        for (var i = 0; i + 1 < data.Length; i++) if (data[i] == a && data[i + 1] == b) return i;
        return -1;
    }

    [Test]
    public async Task Bulk_data_uris_of_metadata_serve_byte_ranges()
    {
        var url = $"{Base}/studies/{Study}/series/{Series}/instances/{Sop}";
        var metadata = DicomJson.DeserializeArray(await Http.GetStringAsync(url + "/metadata"))[0];
        var uri = ((BulkDataUriBuffer)metadata.Get(DicomTags.PixelData)!.Buffer).Uri;
        var pixels = DicomFile.Read(new MemoryStream(_native)).Dataset.GetBytes(DicomTags.PixelData).ToArray();

        var request = Get(uri, "application/octet-stream");
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(100, 199);
        using (var response = await Http.SendAsync(request))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That(response.Content.Headers.ContentRange!.ToString(), Is.EqualTo($"bytes 100-199/{pixels.Length}"));
            Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(pixels[100..200]));
        }
        var suffix = Get(uri, "multipart/related; type=\"application/octet-stream\"");
        suffix.Headers.TryAddWithoutValidation("Range", "bytes=-10");
        using (var response = await Http.SendAsync(suffix))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That((await ReadParts(response)).Single().Body, Is.EqualTo(pixels[^10..]));
        }
        Assert.That((await Parts(uri, "multipart/related; type=\"application/octet-stream\"")).Single().Body, Is.EqualTo(pixels));
        var outside = Get(uri, "application/octet-stream");
        outside.Headers.TryAddWithoutValidation("Range", $"bytes={pixels.Length}-");
        Assert.That((await Http.SendAsync(outside)).StatusCode, Is.EqualTo(HttpStatusCode.RequestedRangeNotSatisfiable));
        Assert.That(await Status(url + "/bulkdata/00100010/0/12345678"), Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Metadata_etags_answer_304_until_the_series_changes()
    {
        var url = $"{Base}/studies/{Study}/series/{Series}/metadata";
        using var first = await Http.SendAsync(Get(url));
        var etag = first.Headers.ETag!;
        Assert.That(DicomJson.DeserializeArray(await first.Content.ReadAsStringAsync()), Has.Count.EqualTo(1));
        var again = Get(url);
        again.Headers.IfNoneMatch.Add(etag);
        using (var notModified = await Http.SendAsync(again)) Assert.That(notModified.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));

        Assert.That((await StowAsync([MakeInstance(Study, Series, Series + ".2")])).Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var afterStore = Get(url);
        afterStore.Headers.IfNoneMatch.Add(etag);
        using var changed = await Http.SendAsync(afterStore);
        Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(changed.Headers.ETag, Is.Not.EqualTo(etag));
        Assert.That(DicomJson.DeserializeArray(await changed.Content.ReadAsStringAsync()), Has.Count.EqualTo(2));

        Assert.That((await StowAsync([MakeInstance(Study, Study + ".9", Study + ".9.1", pixels: false)])).Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var study = DicomJson.DeserializeArray(await Http.GetStringAsync($"{Base}/studies/{Study}/metadata"));
        Assert.That(study.Select(d => d.GetString(DicomTags.SOPInstanceUID)), Is.EquivalentTo(new[] { Sop, Series + ".2", Study + ".9.1" }));
    }

    [Test]
    public async Task Unknown_uids_are_404()
    {
        Assert.That(await Status($"{Base}/studies/1.2.3.404"), Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await Status($"{Base}/studies/{Study}/series/1.2.3.404/metadata"), Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await Status($"{Base}/studies/{Study}/series/{Series}/instances/1.2.3.404/frames/1"), Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Cors_gzip_and_capabilities()
    {
        var request = Get($"{Base}/studies");
        request.Headers.Add("Origin", "http://viewer.example");
        using (var response = await Http.SendAsync(request))
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin").Single(), Is.EqualTo("*"));
        var preflight = new HttpRequestMessage(HttpMethod.Options, $"{Base}/studies");
        preflight.Headers.Add("Origin", "http://viewer.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using (var response = await Http.SendAsync(preflight))
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(204));
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Methods").Single(), Does.Contain("POST"));
        }
        using var raw = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None });
        var gzip = Get($"{Base}/studies/{Study}/metadata");
        gzip.Headers.AcceptEncoding.ParseAdd("gzip");
        using (var response = await raw.SendAsync(gzip))
        {
            Assert.That(response.Content.Headers.ContentEncoding, Does.Contain("gzip"));
            await using var unzip = new System.IO.Compression.GZipStream(await response.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
            Assert.That(DicomJson.DeserializeArray(unzip), Is.Not.Empty);
        }
        var capabilities = JsonNode.Parse(await Http.GetStringAsync(Base))!;
        Assert.That(capabilities["resources"]!.AsArray().Select(r => (string)r!["path"]!), Does.Contain("/studies").And.Contain("/wado"));
    }
}
