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
    public void Damaged_frames_decode_or_throw_DicomCodecException(string path)
    {
        var file = DicomFile.Open(Corpus.PathOf(path));
        var info = PixelDataInfo.FromDataset(file.Dataset);
        CodecRegistry.Default.TryGet(file.TransferSyntax, out var codec);
        var frame = EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).ToArray();
        var destination = new byte[codec.GetDecodedInfo(info).FrameSize + 16];
        var random = new Random(20261207);
        var others = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var damaged = (byte[])frame.Clone();
            if (i % 3 == 0) damaged = damaged[..random.Next(2, damaged.Length)]; // cut short
            else
                for (var k = 0; k < 1 + i % 5; k++) damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            destination.AsSpan(destination.Length - 16).Fill(0xA5);
            try { codec.DecodeFrame(damaged, info, destination); }
            catch (DicomCodecException) { }
            catch (Exception e) { others.Add($"{i}: {e.GetType().Name}: {e.Message}"); }
            Assert.That(destination[^16..], Is.All.EqualTo(0xA5), "nothing written past the frame");
        }
        Assert.That(others, Is.Empty);
    }

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
    public void The_JPEG_syntaxes_decode_and_do_not_encode()
    {
        foreach (var uid in new[] { "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70" })
        {
            Assert.That(CodecRegistry.Default.TryGet(TransferSyntax.Lookup(uid), out var codec), Is.True, uid);
            Assert.That(codec.CanEncode(TestImages.Info(8, 8, 8)), Is.False);
        }
        var native = TestImages.NativeFile(TestImages.Info(8, 8, 8), new byte[64]);
        Assert.Throws<NotSupportedException>(() => Transcoder.Transcode(native, TransferSyntax.JPEGBaseline8Bit));
        Assert.That(CodecRegistry.Default.TryGet(TransferSyntax.JPEGLSLossless, out _), Is.False);
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
