using System.Text.RegularExpressions;
using NUnit.Framework;
using TciaPacs.Dicom.Codecs.Jpeg;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// The lossy JPEG encodings (Baseline 4.50, Extended 4.51) checked by an independent decoder: dcmtk's dcmdjpeg (IJG
/// libjpeg) decodes what we write to within a known distance of the original, and our own decoder to within the
/// rounding of two IDCTs of dcmdjpeg; the instance made is a derived one (PS3.3 C.7.6.1.1.5) that dciodvfy finds no
/// new error in; what a lossy JPEG cannot hold is refused.
/// </summary>
[TestFixture]
public sealed class JpegLossyEncoderTests : TempFolderTests
{
    private static readonly TransferSyntax Baseline = TransferSyntax.JPEGBaseline8Bit;
    private static readonly TransferSyntax Extended = TransferSyntax.Lookup("1.2.840.10008.1.2.4.51");

    /// <summary>
    /// A smooth image with edges: gradients, a disc and a step, plus a little noise (a CT or photograph rather than the
    /// lossless tests' noise and checkerboard, which no DCT codes well at any quality).
    /// </summary>
    private static (PixelDataInfo Info, byte[] Pixels) Image(int rows, int columns, int bitsStored, int samples, int seed = 1)
    {
        var info = TestImages.Stored(rows, columns, bitsStored, samples);
        var max = (1 << bitsStored) - 1;
        var random = new Random(seed);
        var bytes = info.BytesAllocated;
        var pixels = new byte[info.FrameSize];
        for (var y = 0; y < rows; y++)
            for (var x = 0; x < columns; x++)
                for (var c = 0; c < samples; c++)
                {
                    double dx = x - columns / 2.0, dy = y - rows / 2.0;
                    var inside = dx * dx + dy * dy < rows * columns / 9.0;
                    var v = (0.25 + 0.5 * x / columns * (c + 1) / samples + (inside ? 0.2 : 0) + (y > rows * 3 / 4 ? -0.15 : 0)) * max + random.Next(-max / 100, max / 100 + 1);
                    var s = Math.Clamp((int)v, 0, max);
                    var i = ((y * columns + x) * samples + c) * bytes;
                    pixels[i] = (byte)s;
                    if (bytes == 2) pixels[i + 1] = (byte)(s >> 8);
                }
        return (info, pixels);
    }

    [TestCase("1.2.840.10008.1.2.4.50", 64, 80, 8, 1, 90, 38.0, TestName = "Baseline, 8-bit grey, quality 90")]
    [TestCase("1.2.840.10008.1.2.4.50", 37, 23, 8, 3, 90, 34.0, TestName = "Baseline, 8-bit RGB of odd size, quality 90")]
    [TestCase("1.2.840.10008.1.2.4.50", 48, 64, 8, 1, 100, 48.0, TestName = "Baseline, 8-bit grey, quality 100")]
    [TestCase("1.2.840.10008.1.2.4.51", 64, 80, 12, 1, 90, 55.0, TestName = "Extended, 12-bit grey, quality 90")]
    [TestCase("1.2.840.10008.1.2.4.51", 41, 33, 10, 1, 50, 35.0, TestName = "Extended, 10 of 16 bits grey of odd size, quality 50")]
    [TestCase("1.2.840.10008.1.2.4.51", 33, 41, 8, 3, 75, 32.0, TestName = "Extended, 8-bit RGB of odd size, quality 75")]
    [TestCase("1.2.840.10008.1.2.4.51", 40, 40, 12, 3, 90, 45.0, TestName = "Extended, 12-bit RGB, quality 90")]
    public void Dcmdjpeg_decodes_what_we_encode_close_to_the_original(string syntaxUid, int rows, int columns, int bits, int samples, int quality, double minimumPsnr)
    {
        var syntax = TransferSyntax.Lookup(syntaxUid);
        var (info, pixels) = Image(rows, columns, bits, samples);
        var codec = new JpegCodec(syntax, quality);
        Assert.That(codec.CanEncode(info), Is.True);
        var source = Path.Combine(Temp, "native.dcm");
        TestImages.NativeFile(info, pixels).Save(source);
        var encoded = Path.Combine(Temp, "lossy.dcm");
        new DicomTranscoder(CodecRegistry.Default.With(codec)).TranscodeFile(source, syntax, encoded);

        var file = DicomFile.Open(encoded);
        Assert.That(file.TransferSyntax, Is.EqualTo(syntax));
        var frame = EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).Span;
        var precision = bits > 8 ? 12 : 8;
        Assert.That(StartOfFrame(frame), Is.EqualTo((syntax == Baseline ? 0xC0 : 0xC1, precision, columns, rows, samples)), "SOF0 for Baseline, SOF1 for Extended; the image's size and precision");
        Assert.That(file.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo(samples == 3 ? "YBR_FULL_422" : "MONOCHROME2"));
        Assert.That(file.Dataset.GetInt(DicomTags.BitsStored), Is.EqualTo(precision), "Bits Stored is the coding's precision");

        var theirs = Dcmdjpeg(encoded);
        var psnr = Psnr(pixels, theirs, info);
        TestContext.Out.WriteLine($"{syntax.Name}, quality {quality}: {new FileInfo(encoded).Length} bytes, PSNR {psnr:F1} dB against the original (dcmdjpeg)");
        Assert.That(psnr, Is.GreaterThanOrEqualTo(minimumPsnr), "dcmdjpeg's pixels against the original");

        var ours = TestImages.NativePixels(new DicomTranscoder().Transcode(file, TransferSyntax.ExplicitVRLittleEndian));
        Assert.That(MaxDifference(ours, theirs, info), Is.LessThanOrEqualTo(precision == 8 ? 3 : 3 << 4), "our decoder against dcmdjpeg: the rounding of two IDCTs");
    }

    /// <summary>
    /// The fast DCT (Arai-Agui-Nakajima) against T.81 A.3.3's definition summed term by term: each output is the
    /// coefficient scaled by 8 cos(u pi/16) sqrt 2 cos(v pi/16) sqrt 2 (1 for a DC index), for random and extreme blocks.
    /// </summary>
    [Test]
    public void The_fast_DCT_is_T81s_transform_up_to_its_scale()
    {
        static double C(int k) => k == 0 ? Math.Sqrt(0.5) : 1;
        static double Scale(int k) => k == 0 ? 1 : Math.Cos(k * Math.PI / 16) * Math.Sqrt(2);
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var block = new double[64];
            for (var i = 0; i < 64; i++) block[i] = trial switch { 0 => 2047, 1 => -2048, 2 => (i & 1) == 0 ? 2047 : -2048, _ => random.Next(-2048, 2048) };
            var fast = (double[])block.Clone();
            DctJpegEncoder.ForwardDct(fast);
            for (var v = 0; v < 8; v++)
                for (var u = 0; u < 8; u++)
                {
                    double sum = 0;
                    for (var y = 0; y < 8; y++)
                        for (var x = 0; x < 8; x++)
                            sum += block[y * 8 + x] * Math.Cos((2 * x + 1) * u * Math.PI / 16) * Math.Cos((2 * y + 1) * v * Math.PI / 16);
                    var coefficient = C(u) * C(v) / 4 * sum;
                    Assert.That(fast[v * 8 + u] / (8 * Scale(u) * Scale(v)), Is.EqualTo(coefficient).Within(1e-6), $"block {trial}, coefficient ({u}, {v})");
                }
        }
    }

    [Test]
    public void Quality_trades_size_for_fidelity()
    {
        var (info, pixels) = Image(96, 128, 8, 1);
        var results = new List<(int Quality, int Size, double Psnr)>();
        foreach (var quality in new[] { 25, 50, 75, 90, 100 })
        {
            var codec = new JpegCodec(Baseline, quality);
            var jpeg = codec.EncodeFrame(pixels, info);
            var decoded = new byte[info.FrameSize];
            codec.DecodeFrame(jpeg, info, decoded);
            results.Add((quality, jpeg.Length, Psnr(pixels, decoded, info)));
        }
        TestContext.Out.WriteLine(string.Join("; ", results.Select(r => $"q{r.Quality}: {r.Size} bytes, {r.Psnr:F1} dB")));
        for (var i = 1; i < results.Count; i++)
        {
            Assert.That(results[i].Size, Is.GreaterThan(results[i - 1].Size), $"quality {results[i].Quality} is larger than {results[i - 1].Quality}");
            Assert.That(results[i].Psnr, Is.GreaterThan(results[i - 1].Psnr), $"quality {results[i].Quality} is closer to the original than {results[i - 1].Quality}");
        }
        Assert.That(results[0].Size, Is.LessThan(pixels.Length / 4), "quality 25 compresses at least 4:1");
    }

    [Test]
    public void A_lossy_encoding_is_a_derived_instance()
    {
        var (info, pixels) = Image(32, 32, 8, 1);
        var native = TestImages.NativeFile(info, pixels);
        native.Dataset.AddOrUpdate(DicomTags.ImageType, VR.CS, "ORIGINAL", "PRIMARY", "AXIAL");
        var sourceUid = native.Dataset.GetString(DicomTags.SOPInstanceUID);
        var transcoder = new DicomTranscoder();

        var lossy = transcoder.Transcode(native, Baseline);
        var ds = lossy.Dataset;
        var uid = ds.GetString(DicomTags.SOPInstanceUID)!;
        Assert.That(uid, Is.Not.EqualTo(sourceUid).And.StartsWith("2.25."), "a new SOP Instance UID (PS3.3 C.7.6.1.1.5)");
        Assert.That(DicomUids.IsValid(uid), Is.True, uid);
        Assert.That(lossy.Meta.GetString(DicomTags.MediaStorageSOPInstanceUID), Is.EqualTo(uid), "the file meta information follows");
        Assert.That(transcoder.Transcode(native, Baseline).Dataset.GetString(DicomTags.SOPInstanceUID), Is.EqualTo(uid), "the same image asked for again is the same instance");
        Assert.That(transcoder.Transcode(native, Extended).Dataset.GetString(DicomTags.SOPInstanceUID), Is.Not.EqualTo(uid), "another syntax, another instance");
        Assert.That(new DicomTranscoder(CodecRegistry.Default.With(new JpegCodec(Baseline, 50))).Transcode(native, Baseline).Dataset.GetString(DicomTags.SOPInstanceUID),
            Is.Not.EqualTo(uid), "another quality, another instance");
        Assert.That(ds.GetStrings(DicomTags.ImageType), Is.EqualTo(new[] { "DERIVED", "PRIMARY", "AXIAL" }));
        Assert.That(ds.GetString(DicomTags.LossyImageCompression), Is.EqualTo("01"));
        Assert.That(ds.GetStrings(DicomTags.LossyImageCompressionMethod), Is.EqualTo(new[] { "ISO_10918_1" }));
        var ratio = double.Parse(ds.GetStrings(DicomTags.LossyImageCompressionRatio).Single(), System.Globalization.CultureInfo.InvariantCulture);
        var encodedBytes = EncapsulatedFrames.FromDataset(ds).GetFrame(0).Length;
        Assert.That(ratio, Is.EqualTo((double)pixels.Length / encodedBytes).Within(0.01), "native bytes over encoded bytes");
        Assert.That(ds.GetString(DicomTags.DerivationDescription), Does.Contain("JPEG Baseline").And.Contain("quality 90"));
        Assert.That(ds.GetSequence(DicomTags.DerivationCodeSequence)!.Items.Single().GetString(DicomTags.CodeValue), Is.EqualTo("113040"), "Lossy Compression");
        var source = ds.GetSequence(DicomTags.SourceImageSequence)!.Items.Single();
        Assert.That(source.GetString(DicomTags.ReferencedSOPInstanceUID), Is.EqualTo(sourceUid));
        Assert.That(source.GetString(DicomTags.ReferencedSOPClassUID), Is.EqualTo(native.Dataset.GetString(DicomTags.SOPClassUID)));
        Assert.That(source.GetSequence(DicomTags.PurposeOfReferenceCodeSequence)!.Items.Single().GetString(DicomTags.CodeValue), Is.EqualTo("121320"), "Uncompressed predecessor");

        // Lossy again, from the lossy one: a second step, its predecessor lossy.
        var again = transcoder.Transcode(lossy, Extended).Dataset;
        Assert.That(again.GetStrings(DicomTags.LossyImageCompressionMethod), Is.EqualTo(new[] { "ISO_10918_1", "ISO_10918_1" }));
        Assert.That(again.GetStrings(DicomTags.LossyImageCompressionRatio), Has.Length.EqualTo(2));
        var sources = again.GetSequence(DicomTags.SourceImageSequence)!.Items;
        Assert.That(sources.Select(s => s.GetString(DicomTags.ReferencedSOPInstanceUID)), Is.EqualTo(new[] { sourceUid, uid }));
        Assert.That(sources[1].GetSequence(DicomTags.PurposeOfReferenceCodeSequence)!.Items.Single().GetString(DicomTags.CodeValue), Is.EqualTo("121330"), "Lossy compressed predecessor");

        // Lossless transcoding keeps the instance.
        Assert.That(transcoder.Transcode(native, TransferSyntax.JPEGLosslessSV1).Dataset.GetString(DicomTags.SOPInstanceUID), Is.EqualTo(sourceUid));
    }

    /// <summary>
    /// A 12-bit CT and an enhanced MR (whose frames say their type in the functional groups) coded in JPEG Extended:
    /// dciodvfy finds no error the original has not (Image Type and every Frame Type say DERIVED alike), and dcmdjpeg
    /// decodes them close to the original.
    /// </summary>
    [TestCase("edge-cases/sequences/GH342.dcm")]
    [TestCase("large/MOVEKNEE.dcm")]
    public void Dciodvfy_finds_no_new_error_in_a_lossy_image(string relative)
    {
        var source = Corpus.PathOf(relative);
        var original = DicomFile.Open(source);
        var encoded = Path.Combine(Temp, "lossy.dcm");
        new DicomTranscoder().TranscodeFile(source, Extended, encoded);
        var lossy = DicomFile.Open(encoded).Dataset;
        Assert.That(lossy.GetStrings(DicomTags.ImageType)[0], Is.EqualTo("DERIVED"));
        var frameTypes = new[] { DicomTags.SharedFunctionalGroupsSequence, DicomTags.PerFrameFunctionalGroupsSequence }
            .SelectMany(g => lossy.GetSequence(g)?.Items ?? [])
            .SelectMany(group => group.OfType<DicomSequence>().SelectMany(m => m.Items))
            .Where(item => item.Contains(DicomTags.FrameType)).Select(item => item.GetStrings(DicomTags.FrameType)[0]).ToList();
        if (original.Dataset.Contains(DicomTags.SharedFunctionalGroupsSequence)) Assert.That(frameTypes, Is.Not.Empty.And.All.EqualTo("DERIVED"), "every Frame Type");
        var before = Dciodvfy(source);
        // PS3.3 C.8.13.4 requires the MR Pulse Sequence attributes of an ORIGINAL image and lets a DERIVED one keep them
        // ("May be present otherwise"); this dciodvfy reads the condition as forbidding them, for dcmcjpeg's lossy
        // output of the same MR alike. Those are not errors.
        var after = Dciodvfy(encoded).Where(e => !(e.Contains("present when condition unsatisfied", StringComparison.Ordinal) && e.Contains("Module=<MRPulseSequence>", StringComparison.Ordinal)));
        Assert.That(after.Except(before), Is.Empty, "dciodvfy errors of the lossy image the original has not");
        var info = PixelDataInfo.FromDataset(original.Dataset);
        var psnr = Psnr(Masked(TestImages.NativePixels(original), info), Dcmdjpeg(encoded), info with { BitsStored = 12 });
        Assert.That(psnr, Is.GreaterThan(50), "12-bit samples at quality 90");
    }

    public static IEnumerable<TestCaseData> NativeCorpusImages() => NativeCorpusRoundTripTests.NativeFiles(new JpegCodec(TransferSyntax.Lookup("1.2.840.10008.1.2.4.51")).CanEncode);

    /// <summary>Every native corpus image a lossy JPEG holds: encoded (Baseline when 8-bit, else Extended), and decoded by dcmdjpeg close to the original.</summary>
    [TestCaseSource(nameof(NativeCorpusImages))]
    public void Corpus_images_encode_for_dcmdjpeg(string path)
    {
        var source = Corpus.PathOf(path);
        var file = DicomFile.Open(source);
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var syntax = info.BitsAllocated == 8 ? Baseline : Extended;
        var encoded = Path.Combine(Temp, "lossy.dcm");
        new DicomTranscoder().TranscodeFile(source, syntax, encoded);
        var theirs = Dcmdjpeg(encoded);
        var original = TestImages.NativePixels(file);
        // Within Bits Stored: bits above it are not the image, and are not coded. Signed samples come back shifted by half
        // their range (the sign bit flipped), which the new Rescale Intercept undoes.
        var reference = info.PixelRepresentation == 1 ? SignFlipped(Masked(original, info), info) : Masked(original, info);
        Assert.That(DicomFile.Open(encoded).Dataset.GetInt(DicomTags.PixelRepresentation) ?? 0, Is.Zero);
        var psnr = Psnr(Interleaved(reference, info), theirs, info);
        TestContext.Out.WriteLine($"{syntax.Name}: {info.Columns}x{info.Rows}x{info.NumberOfFrames}, {info.SamplesPerPixel} x {info.BitsStored} bits: PSNR {psnr:F1} dB, {new FileInfo(encoded).Length} bytes");
        Assert.That(psnr, Is.GreaterThan(30), "dcmdjpeg's pixels against the original");
        if (syntax != Baseline) return; // dcmcjpeg maps deeper samples onto the JPEG's range first: no like for like

        // dcmtk's own encoder at the same quality (IJG libjpeg, 4:2:2, optimized tables): as close, and no larger.
        var dcmtkEncoded = Path.Combine(Temp, "dcmcjpeg.dcm");
        var run = ExternalTool.Run(ExternalTool.Require("dcmcjpeg"), ["+eb", "+q", "90", source, dcmtkEncoded]);
        if (run.ExitCode != 0 && run.StdErr.Contains("reading file", StringComparison.Ordinal))
        {
            TestContext.Out.WriteLine($"dcmcjpeg cannot read the original: {run.StdErr.Trim()}");
            return; // a file dcmtk's parser refuses (FreezePattern.dcm): dcmdjpeg read ours above
        }
        Assert.That(run.ExitCode, Is.Zero, "dcmcjpeg: " + run.StdErr);
        var dcmtkPsnr = Psnr(Interleaved(reference, info), Dcmdjpeg(dcmtkEncoded), info);
        TestContext.Out.WriteLine($"dcmcjpeg +eb +q 90: PSNR {dcmtkPsnr:F1} dB, {new FileInfo(dcmtkEncoded).Length} bytes");
        Assert.That(psnr, Is.GreaterThan(dcmtkPsnr - 1), "as close to the original as dcmcjpeg at the same quality");
        Assert.That(EncapsulatedFrames.FromDataset(DicomFile.Open(encoded).Dataset).GetFrame(0).Length,
            Is.LessThanOrEqualTo(EncapsulatedFrames.FromDataset(DicomFile.Open(dcmtkEncoded).Dataset).GetFrame(0).Length * 1.15), "a first frame no larger than dcmcjpeg's");
    }

    /// <summary>
    /// A signed CT (-1000 to +1500 HU stored as they are in 16 bits, Rescale Intercept 0): coded as its samples less the
    /// smallest, 0..2500 in 12 bits, the intercept moved the other way, so that dcmdjpeg's decoding gives the same
    /// Hounsfield units; the padding value moves with the samples, the smallest and largest values go.
    /// </summary>
    [Test]
    public void Signed_CT_keeps_its_Hounsfield_units()
    {
        var info = TestImages.Stored(64, 96, 16, signed: true);
        var pixels = new byte[info.FrameSize];
        var hu = new int[info.PixelsPerFrame];
        var random = new Random(7);
        for (var y = 0; y < info.Rows; y++)
            for (var x = 0; x < info.Columns; x++)
            {
                double dx = x - info.Columns / 2.0, dy = y - info.Rows / 2.0;
                // Air outside the body, a bone ring, soft tissue: negative and positive samples.
                var value = dx * dx + dy * dy > 900 ? -1000 : dx * dx + dy * dy > 700 ? 1500 : 40 + (int)(x * 3.0) + random.Next(-10, 11);
                var stored = value;
                var i = y * info.Columns + x;
                hu[i] = value;
                pixels[2 * i] = (byte)stored;
                pixels[2 * i + 1] = (byte)(stored >> 8);
            }
        var file = TestImages.NativeFile(info, pixels);
        file.Dataset.AddOrUpdate(DicomTags.RescaleIntercept, VR.DS, "0");
        file.Dataset.AddOrUpdate(DicomTags.RescaleSlope, VR.DS, "1");
        file.Dataset.AddOrUpdate(DicomTags.PixelPaddingValue, VR.SS, (short)-1000);
        file.Dataset.AddOrUpdate(DicomTags.SmallestImagePixelValue, VR.SS, (short)-2024);
        var source = Path.Combine(Temp, "signed-ct.dcm");
        file.Save(source);
        var withoutRescale = TestImages.NativeFile(info, pixels);
        Assert.That(() => new DicomTranscoder().Transcode(withoutRescale, Extended), Throws.TypeOf<NotSupportedException>(), "without a Modality LUT to move");

        var encoded = Path.Combine(Temp, "signed-ct-lossy.dcm");
        new DicomTranscoder().TranscodeFile(source, Extended, encoded);
        var ds = DicomFile.Open(encoded).Dataset;
        Assert.That(ds.GetInt(DicomTags.PixelRepresentation), Is.Zero);
        Assert.That(double.Parse(ds.GetString(DicomTags.RescaleIntercept)!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(-1000), "the smallest sample's value");
        Assert.That((ds.GetInt(DicomTags.BitsStored), ds.GetInt(DicomTags.HighBit)), Is.EqualTo((12L, 11L)));
        Assert.That(ds.GetInt(DicomTags.PixelPaddingValue), Is.EqualTo(0), "air, -1000, moved with the samples");
        Assert.That(ds.Contains(DicomTags.SmallestImagePixelValue), Is.False);

        var decoded = Path.Combine(Temp, "signed-ct-dcmdjpeg.dcm");
        var r = ExternalTool.Run(ExternalTool.Require("dcmdjpeg"), [encoded, decoded]);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var theirs = DicomFile.Open(decoded);
        var intercept = double.Parse(theirs.Dataset.GetString(DicomTags.RescaleIntercept)!, System.Globalization.CultureInfo.InvariantCulture);
        var samples = TestImages.NativePixels(theirs);
        double sum = 0;
        for (var i = 0; i < hu.Length; i++)
        {
            double d = (samples[2 * i] | samples[2 * i + 1] << 8) + intercept - hu[i];
            sum += d * d;
        }
        var psnr = 10 * Math.Log10(4095.0 * 4095.0 / (sum / hu.Length));
        TestContext.Out.WriteLine($"Hounsfield units after dcmdjpeg: PSNR {psnr:F1} dB over 12 bits");
        Assert.That(psnr, Is.GreaterThan(45), "the same Hounsfield units, within a lossy coding's error");
        var ours = TestImages.NativePixels(new DicomTranscoder().Transcode(DicomFile.Open(encoded), TransferSyntax.ExplicitVRLittleEndian));
        var worst = Enumerable.Range(0, hu.Length).Max(i => Math.Abs((ours[2 * i] | ours[2 * i + 1] << 8) - (samples[2 * i] | samples[2 * i + 1] << 8)));
        Assert.That(worst, Is.LessThanOrEqualTo(2), "our decoder agrees with dcmdjpeg but for the rounding of two IDCTs");
    }

    /// <summary>The corpus's signed 16-bit CT and PET images: those whose samples span fewer than 4096 values are coded in JPEG Extended with their modality values kept, the others refused.</summary>
    public static IEnumerable<TestCaseData> NativeCorpusModalityImages() => NativeCorpusRoundTripTests.NativeFiles(info =>
        info.SamplesPerPixel == 1 && info.BitsAllocated == 16 && (info.BitsStored > 12 || info.PixelRepresentation == 1) && !new JpegCodec(Extended).CanEncode(info));

    [TestCaseSource(nameof(NativeCorpusModalityImages))]
    public void Corpus_modality_images_keep_their_values_in_lossy_JPEG(string path)
    {
        var source = Corpus.PathOf(path);
        var file = DicomFile.Open(source);
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var original = TestImages.NativePixels(file);
        double Value(byte[] pixels, int i, PixelDataInfo at, double slope, double intercept)
        {
            var raw = (pixels[2 * i] | pixels[2 * i + 1] << 8) & ((1 << at.BitsStored) - 1);
            var stored = at.PixelRepresentation == 1 && (raw & (1 << (at.BitsStored - 1))) != 0 ? raw - (1 << at.BitsStored) : raw;
            return stored * slope + intercept;
        }
        double Number(DicomDataset ds, DicomTag tag, double otherwise) =>
            double.TryParse(ds.GetString(tag)?.Split('\\')[0].Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : otherwise;
        var count = (int)(info.PixelsPerFrame * info.NumberOfFrames);
        var values = Enumerable.Range(0, count).Select(i => Value(original, i, info, 1, 0)).ToList();
        var span = values.Max() - values.Min();
        var encoded = Path.Combine(Temp, "modality-lossy.dcm");
        if (span >= 4096 || !file.Dataset.Contains(DicomTags.RescaleIntercept))
        {
            Assert.That(() => new DicomTranscoder().TranscodeFile(source, Extended, encoded), Throws.TypeOf<NotSupportedException>(),
                $"samples spanning {span + 1} values, or no Modality LUT: refused");
            return;
        }
        new DicomTranscoder().TranscodeFile(source, Extended, encoded);
        var decoded = Path.Combine(Temp, "modality-dcmdjpeg.dcm");
        var r = ExternalTool.Run(ExternalTool.Require("dcmdjpeg"), [encoded, decoded]);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var theirs = DicomFile.Open(decoded);
        var theirInfo = PixelDataInfo.FromDataset(theirs.Dataset);
        Assert.That((theirInfo.PixelRepresentation, theirInfo.BitsStored), Is.EqualTo((0, 12)));
        double slope = Number(file.Dataset, DicomTags.RescaleSlope, 1), intercept = Number(file.Dataset, DicomTags.RescaleIntercept, 0);
        double theirSlope = Number(theirs.Dataset, DicomTags.RescaleSlope, 1), theirIntercept = Number(theirs.Dataset, DicomTags.RescaleIntercept, 0);
        var pixels = TestImages.NativePixels(theirs);
        double sum = 0;
        for (var i = 0; i < count; i++)
        {
            var d = (Value(pixels, i, theirInfo, theirSlope, theirIntercept) - Value(original, i, info, slope, intercept)) / slope;
            sum += d * d;
        }
        // The samples are moved, not stretched: the coding's error is in stored units whatever their span, a few at quality 90.
        var rms = Math.Sqrt(sum / count);
        TestContext.Out.WriteLine($"{info.Columns}x{info.Rows}x{info.NumberOfFrames}, samples spanning {span + 1} values: modality values after dcmdjpeg within {rms:F2} stored units (RMS)");
        Assert.That(rms, Is.LessThan(5), "the same modality values, within a lossy coding's error");
    }

    [Test]
    public void What_a_lossy_JPEG_cannot_hold_is_refused()
    {
        var extended = new JpegCodec(Extended);
        var baseline = new JpegCodec(Baseline);
        Assert.Multiple(() =>
        {
            Assert.That(extended.CanEncode(TestImages.Stored(8, 8, 12, signed: true)), Is.False, "signed samples");
            Assert.That(extended.CanEncode(TestImages.Stored(8, 8, 8) with { PhotometricInterpretation = "PALETTE COLOR" }), Is.False, "palette indices");
            Assert.That(extended.CanEncode(TestImages.Stored(8, 8, 16)), Is.False, "16 bits stored");
            Assert.That(baseline.CanEncode(TestImages.Stored(8, 8, 12)), Is.False, "12 bits in Baseline");
            Assert.That(baseline.CanEncode(TestImages.Stored(8, 8, 8)), Is.True);
            Assert.That(extended.CanEncode(TestImages.Stored(8, 8, 12)), Is.True);
        });
        var (info, pixels) = Image(8, 8, 12, 1);
        var signed = TestImages.NativeFile(info with { PixelRepresentation = 1 }, pixels);
        Assert.That(() => new DicomTranscoder().Transcode(signed, Extended), Throws.TypeOf<NotSupportedException>().With.Message.Contains("cannot encode"));
    }

    private byte[] Dcmdjpeg(string path)
    {
        var output = Path.Combine(Temp, $"dcmdjpeg-{Guid.NewGuid():N}.dcm");
        var r = ExternalTool.Run(ExternalTool.Require("dcmdjpeg"), [path, output]);
        Assert.That(r.ExitCode, Is.Zero, "dcmdjpeg: " + r.StdErr);
        return TestImages.NativePixels(DicomFile.Open(output));
    }

    private static (int Marker, int Precision, int Width, int Height, int Components) StartOfFrame(ReadOnlySpan<byte> jpeg)
    {
        for (var at = 2; at + 9 < jpeg.Length;)
        {
            var marker = jpeg[at + 1];
            if (marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
                return (marker, jpeg[at + 4], jpeg[at + 7] << 8 | jpeg[at + 8], jpeg[at + 5] << 8 | jpeg[at + 6], jpeg[at + 9]);
            at += 2 + (jpeg[at + 2] << 8 | jpeg[at + 3]);
        }
        throw new InvalidDataException("no SOF marker");
    }

    private static int Sample(byte[] pixels, int i, int bytes) => bytes == 1 ? pixels[i] : pixels[2 * i] | pixels[2 * i + 1] << 8;

    /// <summary>Colour-by-pixel, as a JPEG decodes (Planar Configuration 0).</summary>
    private static byte[] Interleaved(byte[] pixels, PixelDataInfo info)
    {
        if (info.SamplesPerPixel == 1 || info.PlanarConfiguration == 0) return pixels;
        int n = info.SamplesPerPixel, bytes = info.BytesAllocated, frame = (int)info.FrameSize, count = (int)info.PixelsPerFrame;
        var interleaved = new byte[pixels.Length];
        for (var f = 0; f < info.NumberOfFrames; f++)
            for (var c = 0; c < n; c++)
                for (var p = 0; p < count; p++)
                    for (var b = 0; b < bytes; b++)
                        interleaved[f * frame + (p * n + c) * bytes + b] = pixels[f * frame + (c * count + p) * bytes + b];
        return interleaved;
    }

    /// <summary>Samples within Bits Stored with their sign bit flipped: two's complement plus half the range.</summary>
    private static byte[] SignFlipped(byte[] masked, PixelDataInfo info)
    {
        var sign = 1 << (info.BitsStored - 1);
        var flipped = (byte[])masked.Clone();
        if (info.BytesAllocated == 1)
        {
            for (var i = 0; i < flipped.Length; i++) flipped[i] = (byte)((flipped[i] & ((1 << info.BitsStored) - 1)) ^ sign);
            return flipped;
        }
        for (var i = 0; i + 1 < flipped.Length; i += 2)
        {
            var v = (flipped[i] | flipped[i + 1] << 8) ^ sign;
            flipped[i] = (byte)v;
            flipped[i + 1] = (byte)(v >> 8);
        }
        return flipped;
    }

    private static byte[] Masked(byte[] pixels, PixelDataInfo info)
    {
        if (info.BytesAllocated == 1) return pixels;
        var mask = (1 << info.BitsStored) - 1;
        var masked = (byte[])pixels.Clone();
        for (var i = 0; i + 1 < masked.Length; i += 2)
        {
            var v = (masked[i] | masked[i + 1] << 8) & mask;
            masked[i] = (byte)v;
            masked[i + 1] = (byte)(v >> 8);
        }
        return masked;
    }

    /// <summary>Peak signal-to-noise ratio in dB, the peak being Bits Stored's largest value.</summary>
    private static double Psnr(byte[] a, byte[] b, PixelDataInfo info)
    {
        var bytes = info.BytesAllocated;
        var n = (int)Math.Min(a.Length, b.Length) / bytes;
        Assert.That(b.Length, Is.EqualTo(a.Length), "as many samples");
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            double d = Sample(a, i, bytes) - Sample(b, i, bytes);
            sum += d * d;
        }
        var max = (1 << info.BitsStored) - 1.0;
        return sum == 0 ? double.PositiveInfinity : 10 * Math.Log10(max * max / (sum / n));
    }

    private static int MaxDifference(byte[] a, byte[] b, PixelDataInfo info)
    {
        Assert.That(b.Length, Is.EqualTo(a.Length), "as many samples");
        var bytes = info.BytesAllocated;
        var max = 0;
        for (var i = 0; i < a.Length / bytes; i++) max = Math.Max(max, Math.Abs(Sample(a, i, bytes) - Sample(b, i, bytes)));
        return max;
    }

    private static HashSet<string> Dciodvfy(string path)
    {
        var r = ExternalTool.Run(ExternalTool.Require("dciodvfy"), [path]);
        return (r.StdErr + r.StdOut).Split('\n').Where(l => l.StartsWith("Error", StringComparison.Ordinal))
            .Select(l => Regex.Replace(l.Trim(), @"value(s)? ?= ?<[^>]*>|\b[0-9]+(\.[0-9]+){2,}\b|\[[^\]]*\]", "…")).ToHashSet();
    }
}
