using NUnit.Framework;
using TciaPacs.Dicom.Codecs.Jpeg;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// The JPEG decoders against dcmtk's dcmdjpeg on every JPEG file of the corpus: lossless frames bit for bit, lossy ones
/// within the rounding of two IDCT implementations; corrupt streams give a <see cref="DicomCodecException"/>.
/// </summary>
[TestFixture]
public sealed class JpegCodecTests : TempFolderTests
{
    private static readonly DicomTranscoder Transcoder = new();

    public static IEnumerable<TestCaseData> JpegFiles() => Corpus.Entries
        .Where(e => JpegCodec.All.Any(c => e.TransferSyntax.StartsWith(c.TransferSyntax.Uid + " ", StringComparison.Ordinal)))
        .Select(e => new TestCaseData(e.Path).SetArgDisplayNames(e.Path));

    [TestCaseSource(nameof(JpegFiles))]
    public void Decodes_as_dcmtk_does(string path)
    {
        var source = Corpus.PathOf(path);
        var theirs = Path.Combine(Temp, "dcmdjpeg.dcm");
        var dcmtk = ExternalTool.Run(ExternalTool.Require("dcmdjpeg"), [source, theirs]);
        DicomFile file;
        try { file = DicomFile.Open(source); }
        catch (DicomParseException)
        {
            Assert.That(dcmtk.ExitCode, Is.Not.Zero, "dcmtk reads a file we cannot");
            return;
        }
        if (file.Dataset.Get(DicomTags.PixelData) == null) return; // nothing to decode (a header-only corpus file)
        var ours = Path.Combine(Temp, "ours.dcm");
        if (dcmtk.ExitCode != 0)
        {
            // dcmtk cannot decode it (e.g. it cannot parse the file): ours decodes it or says why, nothing else.
            try { Transcoder.TranscodeFile(source, TransferSyntax.ExplicitVRLittleEndian, ours); }
            catch (DicomCodecException) { }
            return;
        }
        Transcoder.TranscodeFile(source, TransferSyntax.ExplicitVRLittleEndian, ours);
        var a = DicomFile.Open(ours).Dataset;
        var b = DicomFile.Open(theirs).Dataset;
        Assert.That(a.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo(b.GetString(DicomTags.PhotometricInterpretation)));
        Assert.That(a.GetInt(DicomTags.PlanarConfiguration), Is.EqualTo(b.GetInt(DicomTags.PlanarConfiguration)));
        var info = PixelDataInfo.FromDataset(b);
        var pa = a.GetBytes(DicomTags.PixelData).ToArray();
        var pb = b.GetBytes(DicomTags.PixelData).ToArray();
        Assert.That(pa, Has.Length.EqualTo(pb.Length));
        var frames = EncapsulatedFrames.FromDataset(file.Dataset);
        var lossless = true;
        for (var f = 0; f < info.NumberOfFrames; f++)
        {
            var (width, height, lossy) = JpegStream.Header(frames.GetFrame(f).Span);
            lossless &= !lossy;
            var frame = (int)info.FrameSize;
            var ourFrame = pa.AsSpan(f * frame, frame);
            var theirFrame = pb.AsSpan(f * frame, frame);
            var pixelBytes = info.SamplesPerPixel * info.BytesAllocated;
            if (width == info.Columns)
            {
                Compare(ourFrame, theirFrame, info, lossy, $"frame {f + 1}");
                continue;
            }
            // A tile narrower than the frame: ours in the top-left corner, dcmtk's rows packed at the start.
            var ourRows = new byte[height * width * pixelBytes];
            for (var row = 0; row < height; row++)
                ourFrame.Slice(row * info.Columns * pixelBytes, width * pixelBytes).CopyTo(ourRows.AsSpan(row * width * pixelBytes));
            Compare(ourRows, theirFrame[..ourRows.Length], info, lossy, $"frame {f + 1} ({width}x{height})");
            Assert.That(ourFrame[(width * pixelBytes)..(info.Columns * pixelBytes)].ToArray(), Is.All.Zero, "the rest of the frame is left black");
        }
        TestContext.Out.WriteLine(lossless ? "lossless: equal" : "lossy: within 3");
    }

    public static IEnumerable<TestCaseData> JpegLsFiles() => Corpus.Entries
        .Where(e => JpegLsCodec.All.Any(c => e.TransferSyntax.StartsWith(c.TransferSyntax.Uid + " ", StringComparison.Ordinal)))
        .Select(e => new TestCaseData(e.Path).SetArgDisplayNames(e.Path));

    /// <summary>JPEG-LS decoding is exact, near-lossless included: every sample equals dcmtk's (CharLS inside).</summary>
    [TestCaseSource(nameof(JpegLsFiles))]
    public void JPEG_LS_decodes_as_dcmdjpls_does(string path)
    {
        var source = Corpus.PathOf(path);
        var theirs = Path.Combine(Temp, "dcmdjpls.dcm");
        var dcmtk = ExternalTool.Run(ExternalTool.Require("dcmdjpls"), [source, theirs]);
        DicomFile file;
        try { file = DicomFile.Open(source); }
        catch (DicomParseException)
        {
            Assert.That(dcmtk.ExitCode, Is.Not.Zero, "dcmtk reads a file we cannot");
            return;
        }
        var ours = Path.Combine(Temp, "ours.dcm");
        if (dcmtk.ExitCode != 0)
        {
            // dcmtk cannot read or decode it (GH364's broken meta group, JLSL_08_07's 7-bit samples): no reference,
            // but ours must decode it to samples within Bits Stored.
            TestContext.Out.WriteLine($"dcmdjpls: {dcmtk.StdErr.Trim()}");
            Transcoder.TranscodeFile(source, TransferSyntax.ExplicitVRLittleEndian, ours);
            var decoded = DicomFile.Open(ours).Dataset;
            var info = PixelDataInfo.FromDataset(decoded);
            var pixels = decoded.GetBytes(DicomTags.PixelData).ToArray();
            var values = info.BitsAllocated == 8 ? pixels.Select(b => (int)b) : Enumerable.Range(0, pixels.Length / 2).Select(i => pixels[2 * i] | pixels[2 * i + 1] << 8);
            Assert.That(values.Max(), Is.LessThan(1 << info.BitsStored));
            Assert.That(values.Distinct().Count(), Is.GreaterThan(16), "an image, not a constant");
            return;
        }
        Transcoder.TranscodeFile(source, TransferSyntax.ExplicitVRLittleEndian, ours);
        var a = DicomFile.Open(ours).Dataset;
        var b = DicomFile.Open(theirs).Dataset;
        Assert.That(a.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo(b.GetString(DicomTags.PhotometricInterpretation)));
        Assert.That(a.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(b.GetBytes(DicomTags.PixelData).ToArray()));
    }

    /// <summary>
    /// Images made here, encoded by dcmtk's dcmcjpls in each interleave mode: lossless ones decode to the original,
    /// near-lossless ones to what dcmdjpls decodes, within NEAR of the original. Odd sizes; flat areas (run mode,
    /// runs ended by the line or by a different sample), ramps and noise (regular mode, every context).
    /// </summary>
    [TestCase(8, 8, 1, "+in", 0)]
    [TestCase(16, 12, 1, "+in", 0)]
    [TestCase(16, 16, 1, "+in", 0)]
    [TestCase(8, 8, 3, "+il", 0)]
    [TestCase(8, 8, 3, "+is", 0)]
    [TestCase(8, 8, 3, "+in", 0)]
    [TestCase(16, 12, 1, "+in", 3)]
    [TestCase(8, 8, 3, "+is", 2)]
    [TestCase(8, 8, 3, "+il", 5)]
    public void JPEG_LS_written_by_dcmcjpls_decodes_as_dcmtk_decodes_it(int allocated, int stored, int samples, string interleave, int near)
    {
        const int rows = 61, columns = 97;
        var info = TestImages.Info(rows, columns, allocated, samples: samples) with { BitsStored = stored, HighBit = stored - 1 };
        var max = (1 << stored) - 1;
        var random = new Random(allocated * 100 + stored * 10 + samples + near);
        var pixels = new byte[info.FrameSize];
        for (var y = 0; y < rows; y++)
            for (var x = 0; x < columns; x++)
                for (var c = 0; c < samples; c++)
                {
                    var flat = (x / 16 + y / 8) % 3 == 0;
                    var v = flat ? max / 3 * (c + 1) % (max + 1) : (x * 37 + y * 11 + c * 500 + (y > rows / 2 ? random.Next(max / 8 + 1) : 0)) & max;
                    var at = ((y * columns + x) * samples + c) * (allocated / 8);
                    pixels[at] = (byte)v;
                    if (allocated == 16) pixels[at + 1] = (byte)(v >> 8);
                }
        var native = Path.Combine(Temp, "native.dcm");
        TestImages.NativeFile(info, pixels).Save(native);
        var encoded = Path.Combine(Temp, "jls.dcm");
        var args = new List<string> { interleave };
        if (near > 0) args.AddRange(["+en", "+md", near.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var r = ExternalTool.Run(ExternalTool.Require("dcmcjpls"), [.. args, native, encoded]);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        Assert.That(DicomFile.Open(encoded).TransferSyntax.Uid, Is.EqualTo(near == 0 ? "1.2.840.10008.1.2.4.80" : "1.2.840.10008.1.2.4.81"));
        var ours = Path.Combine(Temp, "ours.dcm");
        Transcoder.TranscodeFile(encoded, TransferSyntax.ExplicitVRLittleEndian, ours);
        var decoded = DicomFile.Open(ours).Dataset.GetBytes(DicomTags.PixelData).ToArray()[..pixels.Length];
        var theirs = Path.Combine(Temp, "dcmdjpls.dcm");
        Assert.That(ExternalTool.Run(ExternalTool.Require("dcmdjpls"), [encoded, theirs]).ExitCode, Is.Zero);
        Assert.That(decoded, Is.EqualTo(DicomFile.Open(theirs).Dataset.GetBytes(DicomTags.PixelData).ToArray()[..pixels.Length]));
        if (near == 0) Assert.That(decoded, Is.EqualTo(pixels));
    }

    /// <summary>Lossless: equal. Lossy: each sample within 3 of dcmtk's, and on average within 0.05.</summary>
    private static void Compare(ReadOnlySpan<byte> ours, ReadOnlySpan<byte> theirs, PixelDataInfo info, bool lossy, string where)
    {
        if (!lossy)
        {
            Assert.That(ours.SequenceEqual(theirs), Is.True, where);
            return;
        }
        var step = info.BytesAllocated;
        long sum = 0, n = 0;
        var max = 0;
        for (var i = 0; i + step <= ours.Length; i += step)
        {
            var x = step == 1 ? ours[i] : ours[i] | ours[i + 1] << 8;
            var y = step == 1 ? theirs[i] : theirs[i] | theirs[i + 1] << 8;
            max = Math.Max(max, Math.Abs(x - y));
            sum += Math.Abs(x - y);
            n++;
        }
        Assert.That(max, Is.LessThanOrEqualTo(3), where);
        Assert.That((double)sum / n, Is.LessThanOrEqualTo(0.05), where);
    }

    [TestCase("transfer-syntax/jpeg-lossless-sv1/CT-JPEGLosslessSV1.dcm")]
    [TestCase("transfer-syntax/jpeg-lossless-p14/JPEGLossless_1s_1f_u_16_12.dcm")]
    [TestCase("transfer-syntax/jpeg-baseline/SC_rgb_dcmtk_+eb+cy+np.dcm")]
    [TestCase("transfer-syntax/jpeg-extended/JPEG-lossy.dcm")]
    [TestCase("transfer-syntax/jpeg-ls-lossless/MR_small_jpeg_ls_lossless.dcm")]
    [TestCase("transfer-syntax/jpeg-ls-near-lossless/SC_rgb_jls_lossy_sample.dcm")]
    [TestCase("transfer-syntax/jpeg-ls-near-lossless/SC_rgb_jls_lossy_line.dcm")]
    public void Damaged_frames_decode_or_throw_DicomCodecException(string path) => DamagedFrames.CheckCorpusFile(path);

    [Test]
    public void Pixel_data_in_items_is_decoded_too()
    {
        // GH133: a mammogram whose Icon Image Sequence items hold JPEG Lossless pixel data of their own.
        var source = Corpus.PathOf("edge-cases/pixel/GH133.dcm");
        var decoded = Transcoder.Transcode(DicomFile.Open(source), TransferSyntax.ExplicitVRLittleEndian);
        static IEnumerable<DicomElement> All(DicomDataset ds) => ds.SelectMany(e => e is DicomSequence sq ? sq.Items.SelectMany(All).Prepend(e) : [e]);
        Assert.That(All(decoded.Dataset).OfType<DicomFragmentSequence>(), Is.Empty);
        var icons = All(decoded.Dataset).OfType<DicomSequence>().SelectMany(sq => sq.Items).Where(i => i.Contains(DicomTags.PixelData)).ToList();
        Assert.That(icons, Is.Not.Empty);
        var theirs = Path.Combine(Temp, "dcmdjpeg.dcm");
        Assert.That(ExternalTool.Run(ExternalTool.Require("dcmdjpeg"), [source, theirs]).ExitCode, Is.Zero);
        var theirIcons = All(DicomFile.Open(theirs).Dataset).OfType<DicomSequence>().SelectMany(sq => sq.Items).Where(i => i.Contains(DicomTags.PixelData)).ToList();
        Assert.That(icons.Select(i => i.GetBytes(DicomTags.PixelData).ToArray()), Is.EqualTo(theirIcons.Select(i => i.GetBytes(DicomTags.PixelData).ToArray())));
        Assert.That(icons.All(i => !i.Contains(DicomTags.LossyImageCompression)), Is.True, "an item is not marked");
    }

    [Test]
    public void A_cut_lossless_stream_says_so()
    {
        var file = DicomFile.Open(Corpus.PathOf("transfer-syntax/jpeg-lossless-sv1/CT-JPEGLosslessSV1.dcm"));
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var frame = EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).ToArray();
        var e = Assert.Throws<DicomCodecException>(() => new JpegCodec(TransferSyntax.JPEGLosslessSV1).DecodeFrame(frame[..(frame.Length / 2)], info, new byte[info.FrameSize]))!;
        Assert.That(e.Message, Does.Contain("lossless JPEG stream is corrupt"));
    }

    [Test]
    public void The_JPEG_syntaxes_decode_and_all_but_near_lossless_encode()
    {
        // The lossy JPEG encodings (JpegLossyEncoderTests) are reached only where a lossy syntax was asked for.
        foreach (var (uid, encodes) in new[] { ("1.2.840.10008.1.2.4.50", true), ("1.2.840.10008.1.2.4.51", true), ("1.2.840.10008.1.2.4.57", true), ("1.2.840.10008.1.2.4.70", true), ("1.2.840.10008.1.2.4.80", true), ("1.2.840.10008.1.2.4.81", false) })
        {
            Assert.That(CodecRegistry.Default.TryGet(TransferSyntax.Lookup(uid), out var codec), Is.True, uid);
            Assert.That(codec.CanEncode(TestImages.Info(8, 8, 8)), Is.EqualTo(encodes), uid);
        }
        var native = TestImages.NativeFile(TestImages.Info(8, 8, 16), new byte[128]);
        Assert.Throws<NotSupportedException>(() => Transcoder.Transcode(native, TransferSyntax.JPEGBaseline8Bit), "16 bits are no JPEG Baseline");
        Assert.That(CodecRegistry.Default.TryGet(TransferSyntax.Lookup("1.2.840.10008.1.2.4.92"), out _), Is.False, "JPEG 2000 Part 2");
    }

    [Test]
    public void Lossy_colour_becomes_RGB_and_lossless_keeps_its_photometric_interpretation()
    {
        var ybr = TestImages.Info(8, 8, 8, samples: 3) with { PhotometricInterpretation = "YBR_FULL_422" };
        Assert.That(new JpegCodec(TransferSyntax.JPEGBaseline8Bit).GetDecodedInfo(ybr).PhotometricInterpretation, Is.EqualTo("RGB"));
        Assert.That(new JpegCodec(TransferSyntax.JPEGLosslessSV1).GetDecodedInfo(ybr with { PhotometricInterpretation = "RGB" }).PhotometricInterpretation, Is.EqualTo("RGB"));
        Assert.That(new JpegCodec(TransferSyntax.JPEGLosslessSV1).GetDecodedInfo(ybr with { PhotometricInterpretation = "YBR_FULL" }).PhotometricInterpretation, Is.EqualTo("YBR_FULL"));
    }
}
