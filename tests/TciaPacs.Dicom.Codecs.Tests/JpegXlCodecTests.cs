using System.Globalization;
using System.Text;
using NUnit.Framework;
using TciaPacs.Dicom.Codecs.JpegXl;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// The JPEG XL syntaxes decoded with libjxl: the corpus's JPEG XL JPEG Recompression file gives back the JPEG streams
/// libjxl's own djxl rebuilds, byte for byte, and pixels as dcmtk's dcmdjpeg decodes those JPEGs (within the rounding of
/// two IDCTs, as for any JPEG here); JPEG XL Lossless frames made by cjxl from known samples come back exactly, at 8,
/// 12 and 16 bits, grey and colour; a corrupt or cut codestream is a <see cref="DicomCodecException"/>.
/// </summary>
[TestFixture]
public sealed class JpegXlCodecTests : TempFolderTests
{
    private const string RecompressedFile = "transfer-syntax/jpeg-xl/will-jxl.dcm";
    private static readonly TransferSyntax Lossless = TransferSyntax.Lookup(DicomUids.JPEGXLLossless.Value);

    [Test]
    public void Libjxl_is_installed_for_these_tests()
    {
        Assert.That(JpegXlCodec.IsAvailable, Is.True, LibJxl.Missing + "; .ci/run installs it");
        Assert.That(JpegXlCodec.Availability, Does.Match(@"^libjxl \d+\.\d+\.\d+$"), "the version the server logs at start");
    }

    [Test]
    public void Recompressed_JPEG_frames_are_rebuilt_as_djxl_rebuilds_them()
    {
        var frames = EncapsulatedFrames.FromDataset(DicomFile.Open(Corpus.PathOf(RecompressedFile)).Dataset);
        foreach (var f in new[] { 0, 13, frames.Count - 1 })
        {
            var ours = LibJxl.Instance!.ReconstructJpeg(frames.GetFrame(f).Span);
            Assert.That(ours.AsSpan(0, 2).ToArray(), Is.EqualTo(new byte[] { 0xFF, 0xD8 }), "a JPEG stream");
            Assert.That(ours, Is.EqualTo(Djxl(frames.GetFrame(f).ToArray(), ".jpg")), $"frame {f + 1} as djxl rebuilds it");
        }
        // A buffer far too small at first is grown as libjxl asks, and the JPEG is the same.
        var first = frames.GetFrame(0);
        Assert.That(LibJxl.Instance!.ReconstructJpeg(first.Span, initialSize: 1000), Is.EqualTo(LibJxl.Instance.ReconstructJpeg(first.Span)));
    }

    /// <summary>
    /// Into JPEG Baseline or Extended, a JPEG Recompression instance is rewrapped: each frame the JPEG djxl rebuilds,
    /// byte for byte; the same instance (no new UID: the image is the JPEG's, not coded again), still marked lossy;
    /// dcmdjpeg decodes it to what we decode the JPEG XL frames to (within the two IDCTs' rounding).
    /// </summary>
    [TestCase("1.2.840.10008.1.2.4.50")]
    [TestCase("1.2.840.10008.1.2.4.51")]
    public void Recompressed_JPEG_is_rewrapped_into_JPEG_exactly(string targetUid)
    {
        var source = DicomFile.Open(Corpus.PathOf(RecompressedFile));
        var target = TransferSyntax.Lookup(targetUid);
        var output = Path.Combine(Temp, "jpeg.dcm");
        new DicomTranscoder().TranscodeFile(Corpus.PathOf(RecompressedFile), target, output);
        var rewrapped = DicomFile.Open(output);
        Assert.That(rewrapped.TransferSyntax, Is.EqualTo(target));
        Assert.That(rewrapped.Dataset.GetString(DicomTags.SOPInstanceUID), Is.EqualTo(source.Dataset.GetString(DicomTags.SOPInstanceUID)), "the same instance");
        Assert.That(rewrapped.Dataset.Contains(DicomTags.SourceImageSequence), Is.EqualTo(source.Dataset.Contains(DicomTags.SourceImageSequence)), "not a derived one");
        Assert.That(rewrapped.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("YBR_FULL_422"), "the JPEG's own");
        Assert.That(rewrapped.Dataset.GetString(DicomTags.LossyImageCompression), Is.EqualTo("01"));
        var frames = EncapsulatedFrames.FromDataset(source.Dataset);
        var jpegs = EncapsulatedFrames.FromDataset(rewrapped.Dataset);
        Assert.That(jpegs.Count, Is.EqualTo(frames.Count));
        foreach (var f in new[] { 0, 13, frames.Count - 1 })
            Assert.That(jpegs.GetFrame(f).ToArray(), Is.EqualTo(Even(Djxl(frames.GetFrame(f).ToArray(), ".jpg"))), $"frame {f + 1}: djxl's JPEG");

        var theirs = Path.Combine(Temp, "dcmdjpeg.dcm");
        var dcmtk = ExternalTool.Run(ExternalTool.Require("dcmdjpeg"), [output, theirs]);
        Assert.That(dcmtk.ExitCode, Is.Zero, dcmtk.StdErr);
        var ours = new DicomTranscoder().Transcode(source, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray();
        var dcmtkPixels = DicomFile.Open(theirs).Dataset.GetBytes(DicomTags.PixelData).ToArray();
        Assert.That(dcmtkPixels, Has.Length.EqualTo(ours.Length));
        Assert.That(ours.Zip(dcmtkPixels).Max(p => Math.Abs(p.First - p.Second)), Is.LessThanOrEqualTo(5));
    }

    [Test]
    public void Recompressed_JPEG_decodes_as_dcmdjpeg_decodes_the_original_JPEG()
    {
        var source = DicomFile.Open(Corpus.PathOf(RecompressedFile));
        var frames = EncapsulatedFrames.FromDataset(source.Dataset);
        // The same data set with the JPEG streams djxl rebuilds, as JPEG Baseline: what the modality would have sent.
        var jpegs = Enumerable.Range(0, frames.Count).Select(f => (DicomBuffer)new MemoryBuffer(Even(Djxl(frames.GetFrame(f).ToArray(), ".jpg")))).ToList();
        var ds = source.Dataset.Clone();
        ds.Add(new DicomFragmentSequence(DicomTags.PixelData, VR.OB, DicomBuffer.Empty, jpegs));
        var baseline = Path.Combine(Temp, "baseline.dcm");
        new DicomFile(DicomWriter.BuildMeta(source.Meta, ds, TransferSyntax.JPEGBaseline8Bit), ds, TransferSyntax.JPEGBaseline8Bit).Save(baseline);
        var theirs = Path.Combine(Temp, "dcmdjpeg.dcm");
        var dcmtk = ExternalTool.Run(ExternalTool.Require("dcmdjpeg"), [baseline, theirs]);
        Assert.That(dcmtk.ExitCode, Is.Zero, dcmtk.StdErr);

        var transcoder = new DicomTranscoder();
        var ours = transcoder.Transcode(source, TransferSyntax.ExplicitVRLittleEndian).Dataset;
        var b = DicomFile.Open(theirs).Dataset;
        Assert.That(ours.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo(b.GetString(DicomTags.PhotometricInterpretation)));
        var pa = ours.GetBytes(DicomTags.PixelData).ToArray();
        var pb = b.GetBytes(DicomTags.PixelData).ToArray();
        Assert.That(pa, Has.Length.EqualTo(pb.Length));
        // Two IDCTs and two chroma upsamplings round differently: of these 58 million samples 99 % are equal, a few
        // hundred differ by 3, and one by 5 (a sample where the rounding of both steps adds up).
        var differences = pa.Zip(pb, (x, y) => Math.Abs(x - y)).ToArray();
        TestContext.Out.WriteLine("differences: " + string.Join(", ", differences.GroupBy(d => d).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.That(differences.Max(), Is.LessThanOrEqualTo(5), "largest difference from dcmdjpeg's samples");
        Assert.That(differences.Count(d => d > 3), Is.LessThanOrEqualTo(differences.Length / 1_000_000), "samples more than 3 apart");
        Assert.That(differences.Count(d => d == 0), Is.GreaterThan(differences.Length * 0.98), "samples equal");
        // And exactly as our own JPEG decoder decodes the rebuilt JPEG.
        var ownJpeg = transcoder.Transcode(DicomFile.Open(baseline), TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray();
        Assert.That(pa, Is.EqualTo(ownJpeg));
    }

    public static IEnumerable<TestCaseData> LosslessImages() =>
    [
        new TestCaseData(8, 1).SetName("JPEG XL Lossless: 8-bit grey comes back exactly"),
        new TestCaseData(12, 1).SetName("JPEG XL Lossless: 12-bit grey comes back exactly"),
        new TestCaseData(16, 1).SetName("JPEG XL Lossless: 16-bit grey comes back exactly"),
        new TestCaseData(8, 3).SetName("JPEG XL Lossless: 8-bit RGB comes back exactly"),
    ];

    /// <summary>A frame cjxl codes without loss (-d 0) from a PGM or PPM of the test pattern: decoded, the same samples.</summary>
    [TestCaseSource(nameof(LosslessImages))]
    public void Lossless_frames_made_by_cjxl_come_back_exactly(int bits, int samples)
    {
        const int rows = 37, columns = 90; // odd sizes: no block or group boundary falls on the edge
        var info = TestImages.Stored(rows, columns, bits, samples) with { NumberOfFrames = 2 };
        var random = new Random(bits * 10 + samples);
        var max = (1 << bits) - 1;
        var native = new byte[info.TotalSize];
        var codestreams = new List<DicomBuffer>();
        for (var f = 0; f < 2; f++)
        {
            var frame = native.AsSpan((int)(f * info.FrameSize), (int)info.FrameSize);
            // cjxl 0.7 misreads a Netpbm maxval other than 255 or 65535: the samples go scaled to 16 bits, and
            // --override_bitdepth makes the codestream's depth the image's.
            var netpbm = new MemoryStream();
            var header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{(samples == 3 ? "P6" : "P5")}\n{columns} {rows}\n{(bits > 8 ? 65535 : 255)}\n"));
            netpbm.Write(header);
            for (var y = 0; y < rows; y++)
                for (var x = 0; x < columns; x++)
                    for (var c = 0; c < samples; c++)
                    {
                        var v = (TestImages.Pattern(x, y, c, rows, max, random) + f * 7) & max;
                        var at = (y * columns + x) * samples + c;
                        if (bits > 8)
                        {
                            frame[at * 2] = (byte)v;
                            frame[at * 2 + 1] = (byte)(v >> 8);
                            var scaled = (v * 65535 + max / 2) / max;
                            netpbm.WriteByte((byte)(scaled >> 8)); // Netpbm samples above 255 are big endian
                            netpbm.WriteByte((byte)scaled);
                        }
                        else
                        {
                            frame[at] = (byte)v;
                            netpbm.WriteByte((byte)v);
                        }
                    }
            codestreams.Add(new MemoryBuffer(Even(Cjxl(netpbm.ToArray(), samples == 3 ? ".ppm" : ".pgm", "--override_bitdepth=" + bits))));
        }
        var file = TestImages.NativeFile(info, native);
        var ds = file.Dataset.Clone();
        ds.Add(new DicomFragmentSequence(DicomTags.PixelData, VR.OB, DicomBuffer.Empty, codestreams));
        var encoded = new DicomFile(DicomWriter.BuildMeta(null, ds, Lossless), ds, Lossless);

        var decoded = new DicomTranscoder().Transcode(TestImages.SaveAndReopen(encoded), TransferSyntax.ExplicitVRLittleEndian);
        Assert.That(TestImages.NativePixels(decoded), Is.EqualTo(native), $"{bits}-bit, {samples} sample(s) per pixel");
        Assert.That(decoded.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo(samples == 3 ? "RGB" : "MONOCHROME2"));
    }

    [Test]
    public void A_corrupt_or_cut_codestream_is_a_codec_error()
    {
        var file = DicomFile.Open(Corpus.PathOf(RecompressedFile));
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var frame = EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).ToArray();
        var codec = new JpegXlCodec(file.TransferSyntax);
        var decoded = new byte[codec.GetDecodedInfo(info).FrameSize];
        Assert.That(() => codec.DecodeFrame(frame[..(frame.Length / 2)], info, decoded), Throws.InstanceOf<DicomCodecException>(), "cut in half");
        var garbage = (byte[])frame.Clone();
        for (var i = 16; i < garbage.Length; i += 7) garbage[i] ^= 0x5A;
        Assert.That(() => codec.DecodeFrame(garbage, info, decoded), Throws.InstanceOf<DicomCodecException>(), "bytes overwritten");
        Assert.That(() => codec.DecodeFrame(new byte[] { 1, 2, 3, 4 }, info, decoded), Throws.InstanceOf<DicomCodecException>(), "not JPEG XL");
        // A JPEG XL Lossless codestream has no JPEG to rebuild.
        var lossless = Cjxl(Encoding.ASCII.GetBytes("P5\n2 2\n255\n").Concat(new byte[] { 1, 2, 3, 4 }).ToArray(), ".pgm");
        Assert.That(() => codec.DecodeFrame(lossless, info, decoded),
            Throws.InstanceOf<DicomCodecException>().With.Message.Contains("no JPEG reconstruction data"));
    }

    /// <summary>libjxl runs in our process: damaged codestreams must give an error, never a crash or a write past the frame.</summary>
    [Test]
    public void Damaged_codestreams_decode_or_give_a_codec_error()
    {
        DamagedFrames.CheckCorpusFile(RecompressedFile, 200);
        var info = TestImages.Stored(37, 90, 12);
        var image = new MemoryStream();
        image.Write(Encoding.ASCII.GetBytes("P5\n90 37\n65535\n"));
        var random = new Random(7);
        for (var i = 0; i < 37 * 90; i++)
        {
            var v = (TestImages.Pattern(i % 90, i / 90, 0, 37, 4095, random) * 65535 + 2047) / 4095;
            image.WriteByte((byte)(v >> 8));
            image.WriteByte((byte)v);
        }
        DamagedFrames.Check(new JpegXlCodec(Lossless), info, Cjxl(image.ToArray(), ".pgm", "--override_bitdepth=12"), 200);
    }

    private static byte[] Even(byte[] bytes) => bytes.Length % 2 == 0 ? bytes : [.. bytes, 0];

    private byte[] Djxl(byte[] codestream, string extension) => Tool("djxl", codestream, ".jxl", extension, []);

    private byte[] Cjxl(byte[] image, string extension, params string[] options) => Tool("cjxl", image, extension, ".jxl", ["-d", "0", "-e", "3", .. options]);

    private byte[] Tool(string name, byte[] input, string inputExtension, string outputExtension, string[] options)
    {
        var id = Guid.NewGuid().ToString("N");
        var inputPath = Path.Combine(Temp, id + inputExtension);
        var outputPath = Path.Combine(Temp, id + ".out" + outputExtension);
        File.WriteAllBytes(inputPath, input);
        var r = ExternalTool.Run(ExternalTool.Require(name), [inputPath, outputPath, .. options]);
        Assert.That(r.ExitCode, Is.Zero, $"{name}: {r.StdErr}");
        return File.ReadAllBytes(outputPath);
    }
}
