using System.Globalization;
using NUnit.Framework;
using TciaPacs.Dicom.Codecs.Jpeg2000;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// The JPEG 2000 decoder against OpenJPEG: every JPEG 2000 file of the corpus against GDCM's gdcmconv (OpenJPEG
/// inside), and images made here, encoded by opj_compress with each coding option, against the original (reversible)
/// or opj_decompress (irreversible). Reversible streams must decode bit for bit; irreversible ones within 1 of
/// OpenJPEG, the rounding of two single-precision 9-7 implementations.
/// </summary>
[TestFixture]
public sealed class Jpeg2000CodecTests : TempFolderTests
{
    private static readonly DicomTranscoder Transcoder = new();

    public static IEnumerable<TestCaseData> Jpeg2000Files() => Corpus.Entries
        .Where(e => Jpeg2000Codec.All.Any(c => e.TransferSyntax.StartsWith(c.TransferSyntax.Uid + " ", StringComparison.Ordinal)))
        .Where(e => !e.TransferSyntax.StartsWith("1.2.840.10008.1.2.4.20", StringComparison.Ordinal)) // HTJ2K: GDCM cannot; HtJ2kCodecTests
        .Select(e => new TestCaseData(e.Path).SetArgDisplayNames(e.Path));

    [TestCaseSource(nameof(Jpeg2000Files))]
    public void Decodes_as_gdcmconv_does(string path)
    {
        var source = Corpus.PathOf(path);
        var theirs = Path.Combine(Temp, "gdcm.dcm");
        var gdcm = ExternalTool.Run(ExternalTool.Require("gdcmconv"), ["--raw", source, theirs]);
        DicomFile file;
        try { file = DicomFile.Open(source); }
        catch (DicomParseException)
        {
            Assert.That(gdcm.ExitCode, Is.Not.Zero, "GDCM reads a file we cannot");
            return;
        }
        var ours = Path.Combine(Temp, "ours.dcm");
        if (gdcm.ExitCode != 0)
        {
            // GDCM cannot decode it (a corrupt corpus file): ours must say why, not invent an image.
            Assert.Throws<DicomCodecException>(() => Transcoder.TranscodeFile(source, TransferSyntax.ExplicitVRLittleEndian, ours));
            Assert.That(File.Exists(ours), Is.False);
            return;
        }
        Transcoder.TranscodeFile(source, TransferSyntax.ExplicitVRLittleEndian, ours);
        var a = DicomFile.Open(ours).Dataset;
        var b = DicomFile.Open(theirs).Dataset;
        Assert.That(a.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo(b.GetString(DicomTags.PhotometricInterpretation)));
        var info = PixelDataInfo.FromDataset(b);
        var pa = a.GetBytes(DicomTags.PixelData).ToArray();
        var pb = b.GetBytes(DicomTags.PixelData).ToArray();
        Assert.That(pa, Has.Length.EqualTo(pb.Length));
        var reversible = Jpeg2000Stream.IsReversible(EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).Span);
        var (max, mean) = Difference(pa, pb, info.BytesAllocated, info.BitsStored);
        TestContext.Out.WriteLine($"{(reversible ? "reversible" : "irreversible")}: largest difference {max}, mean {mean:F4}");
        if (reversible) Assert.That(max, Is.Zero, "a reversible stream decodes bit for bit");
        else
        {
            Assert.That(max, Is.LessThanOrEqualTo(1));
            Assert.That(mean, Is.LessThanOrEqualTo(0.02));
        }
    }

    /// <summary>
    /// Images made here (odd sizes; flat areas, ramps, edges and noise), encoded by opj_compress with one option set
    /// each: every progression order, precincts, small code-blocks, tiles and grid offsets, every code-block style flag,
    /// quality layers, SOP and EPH markers, tile-parts, a region of interest, signed and 16-bit samples, the reversible
    /// and irreversible component transforms.
    /// </summary>
    [TestCase(1, 8, false, "")]
    [TestCase(1, 12, false, "-n 3 -b 16,16")]
    [TestCase(1, 16, false, "-c [32,32],[16,16],[8,8]")]
    [TestCase(1, 12, true, "-n 3 -t 32,24 -d 3,5 -T 1,2")]
    [TestCase(1, 12, true, "-p RLCP -n 4 -c [16,16]")]
    [TestCase(1, 12, false, "-p RPCL -n 3 -c [16,16] -b 8,8 -t 40,40")]
    [TestCase(3, 8, false, "-p PCRL -n 4 -c [16,16] -b 8,8 -d 1,1")]
    [TestCase(3, 8, false, "-p CPRL -n 4 -c [16,16] -b 8,8")]
    [TestCase(1, 12, false, "-M 1")]
    [TestCase(1, 12, false, "-M 2")]
    [TestCase(1, 12, false, "-M 4")]
    [TestCase(1, 12, false, "-M 8")]
    [TestCase(1, 12, false, "-M 16")]
    [TestCase(1, 12, false, "-M 32")]
    [TestCase(1, 12, true, "-M 63 -b 8,8")]
    [TestCase(1, 16, false, "-r 40,10,1")]
    [TestCase(3, 8, false, "-SOP -EPH -r 20,1")]
    [TestCase(1, 12, false, "-TP R -t 32,32")]
    [TestCase(1, 12, false, "-ROI c=0,U=4")]
    [TestCase(1, 12, false, "-POC T0=0,0,1,3,1,CPRL/T0=0,0,1,6,1,LRCP -t 64,64")]
    [TestCase(3, 8, false, "-I")]
    [TestCase(1, 12, true, "-I -r 8")]
    [TestCase(3, 16, false, "-I -r 20,5 -p RPCL")]
    [TestCase(1, 16, true, "-I -M 63")]
    public void Streams_written_by_opj_compress_decode(int components, int bits, bool signed, string options)
    {
        const int rows = 61, columns = 97;
        var max = (1 << bits) - 1;
        var random = new Random(components * 1000 + bits * 10 + (signed ? 1 : 0) + options.Length);
        // Planar samples, as OpenJPEG's raw format has them.
        var samples = new int[components, rows * columns];
        for (var c = 0; c < components; c++)
            for (var y = 0; y < rows; y++)
                for (var x = 0; x < columns; x++)
                {
                    var v = TestImages.Pattern(x, y, c, rows, max, random);
                    samples[c, y * columns + x] = signed ? v - (max + 1) / 2 : v;
                }
        var bytes = bits > 8 ? 2 : 1;
        var stream = OpjCompress(samples, columns, rows, bits, signed, options);

        var info = TestImages.Stored(rows, columns, bits, components, signed);
        var codec = new Jpeg2000Codec(options.Contains("-I", StringComparison.Ordinal) ? TransferSyntax.JPEG2000 : TransferSyntax.JPEG2000Lossless);
        var frame = new byte[info.FrameSize];
        var codestream = File.ReadAllBytes(stream);
        codec.DecodeFrame(codestream, info, frame);
        // Damaged copies of this stream, whose options reach the paths the corpus files do not (raw passes, POC, ROI,
        // SOP/EPH, tile-parts).
        DamagedFrames.Check(codec, info, codestream, 60, components * 1000 + bits);
        var ours = new int[components, rows * columns];
        for (var i = 0; i < rows * columns; i++)
            for (var c = 0; c < components; c++)
            {
                var at = (i * components + c) * info.BytesAllocated;
                ours[c, i] = info.BytesAllocated == 1 ? frame[at] : frame[at] | frame[at + 1] << 8;
            }

        var lossless = !options.Contains("-I", StringComparison.Ordinal) && !options.Contains("-r 40,10,1", StringComparison.Ordinal) && !options.Contains("-r 20,1", StringComparison.Ordinal);
        var expected = samples;
        if (!lossless || options.Contains("-r", StringComparison.Ordinal))
        {
            // What OpenJPEG decodes (for layered reversible streams: the original too, since the last layer is lossless).
            var decoded = Path.Combine(Temp, "opj.rawl");
            var r = ExternalTool.Run(ExternalTool.Require("opj_decompress"), ["-i", stream, "-o", decoded]);
            Assert.That(r.ExitCode, Is.Zero, r.StdErr + r.StdOut);
            var theirs = File.ReadAllBytes(decoded);
            expected = new int[components, rows * columns];
            for (var c = 0; c < components; c++)
                for (var i = 0; i < rows * columns; i++)
                {
                    var at = (c * rows * columns + i) * bytes;
                    expected[c, i] = bytes == 1 ? theirs[at] : (short)(theirs[at] | theirs[at + 1] << 8);
                }
        }
        var mask = max;
        int largest = 0;
        long ourError = 0, theirError = 0;
        for (var c = 0; c < components; c++)
            for (var i = 0; i < rows * columns; i++)
            {
                int o = ours[c, i] & mask, t = expected[c, i] & mask, g = samples[c, i] & mask;
                largest = Math.Max(largest, Math.Abs(o - t));
                ourError += Math.Abs(o - g);
                theirError += Math.Abs(t - g);
            }
        TestContext.Out.WriteLine($"largest difference from OpenJPEG {largest}; total error against the original: ours {ourError}, OpenJPEG's {theirError}");
        if (!options.Contains("-I", StringComparison.Ordinal))
        {
            Assert.That(largest, Is.Zero, "a reversible stream decodes bit for bit");
            return;
        }
        // 16-bit samples: OpenJPEG's own result strays up to 3 from the original where ours strays 1, so the two
        // decoders may differ by 3; what must hold is that ours is as faithful to the original as OpenJPEG.
        Assert.That(largest, Is.LessThanOrEqualTo(bits > 12 ? 3 : 1));
        Assert.That(ourError, Is.LessThanOrEqualTo(theirError * 1.01 + 10));
    }

    /// <summary>
    /// Random configurations (seeded) of opj_compress: sizes from 1 to 130 samples a side, 2 to 16 bits (even), signed or not,
    /// one or three components, code-blocks from 4x4, 0 to 5 resolutions' worth of decompositions, every progression
    /// order, sometimes tiles, layers or the 9-7 wavelet. Reversible ones must give back the image, irreversible ones
    /// what opj_decompress gives within 1 (3 for more than 12 bits).
    /// </summary>
    public static IEnumerable<TestCaseData> RandomConfigurations()
    {
        var random = new Random(20261208);
        int[] sides = [1, 2, 3, 5, 7, 8, 13, 31, 64, 65, 97, 130];
        string[] orders = ["LRCP", "RLCP", "RPCL", "PCRL", "CPRL"];
        for (var i = 0; i < 32; i++)
        {
            var components = random.Next(2) == 0 ? 1 : 3;
            int[] depths = [2, 4, 6, 8, 10, 12, 14, 16]; // opj_compress reads raw samples of even depths only
            var bits = depths[random.Next(depths.Length)];
            var (w, h) = (sides[random.Next(sides.Length)], sides[random.Next(sides.Length)]);
            // opj_compress needs each resolution's code-block grid to hold a sample: no more levels than the smaller side allows.
            var levels = Math.Min(random.Next(6), 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)Math.Min(w, h)));
            int bw = 4 << random.Next(5), bh = 4 << random.Next(5);
            while (bw * bh > 4096) bh /= 2;
            var options = $"-n {levels + 1} -b {bw},{bh} -p {orders[random.Next(5)]}";
            if (i % 4 == 3) options += " -I";
            if (random.Next(3) == 0) options += $" -t {random.Next(8, 71)},{random.Next(8, 71)}";
            if (random.Next(4) == 0) options += " -r 10,1";
            yield return new TestCaseData(w, h, components, bits, random.Next(2) == 0, options, random.Next()).SetArgDisplayNames($"{w}x{h}x{components} {bits} bits {options}");
        }
    }

    [TestCaseSource(nameof(RandomConfigurations))]
    public void Random_configurations_written_by_opj_compress_decode(int columns, int rows, int components, int bits, bool signed, string options, int seed)
    {
        var random = new Random(seed);
        var max = (1 << bits) - 1;
        var samples = new int[components, rows * columns];
        for (var c = 0; c < components; c++)
            for (var i = 0; i < rows * columns; i++)
            {
                var v = random.Next(3) == 0 ? random.Next(max + 1) : (i * 37 + c * 500 + i / columns * 11) & max;
                samples[c, i] = signed ? v - (max + 1) / 2 : v;
            }
        var bytes = bits > 8 ? 2 : 1;
        var stream = OpjCompress(samples, columns, rows, bits, signed, options);
        var irreversible = options.Contains("-I", StringComparison.Ordinal);
        var info = TestImages.Stored(rows, columns, bits, components, signed);
        var frame = new byte[info.FrameSize];
        new Jpeg2000Codec(irreversible ? TransferSyntax.JPEG2000 : TransferSyntax.JPEG2000Lossless).DecodeFrame(File.ReadAllBytes(stream), info, frame);
        var decoded = Path.Combine(Temp, "opj.rawl");
        var r = ExternalTool.Run(ExternalTool.Require("opj_decompress"), ["-i", stream, "-o", decoded]);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr + r.StdOut);
        var theirs = File.ReadAllBytes(decoded);
        var largest = 0;
        for (var c = 0; c < components; c++)
            for (var i = 0; i < rows * columns; i++)
            {
                var at = (i * components + c) * info.BytesAllocated;
                var ours = (info.BytesAllocated == 1 ? frame[at] : frame[at] | frame[at + 1] << 8) & max;
                var o = (c * rows * columns + i) * bytes;
                var reference = (bytes == 1 ? theirs[o] : theirs[o] | theirs[o + 1] << 8) & max;
                if (!irreversible) Assert.That(ours, Is.EqualTo(samples[c, i] & max), $"component {c}, sample {i}");
                largest = Math.Max(largest, Math.Abs(ours - reference));
            }
        Assert.That(largest, Is.LessThanOrEqualTo(irreversible ? (bits > 12 ? 3 : 1) : 0), "against opj_decompress");
    }

    /// <summary>
    /// Planar samples written as OpenJPEG's raw little-endian format and encoded by opj_compress with
    /// <paramref name="options"/>; the codestream's path.
    /// </summary>
    private string OpjCompress(int[,] samples, int columns, int rows, int bits, bool signed, string options)
    {
        var components = samples.GetLength(0);
        var bytes = bits > 8 ? 2 : 1;
        var raw = new byte[components * rows * columns * bytes];
        for (var c = 0; c < components; c++)
            for (var i = 0; i < rows * columns; i++)
            {
                var at = (c * rows * columns + i) * bytes;
                raw[at] = (byte)samples[c, i];
                if (bytes == 2) raw[at + 1] = (byte)(samples[c, i] >> 8);
            }
        var input = Path.Combine(Temp, "in.rawl");
        File.WriteAllBytes(input, raw);
        var stream = Path.Combine(Temp, "out.j2k");
        var format = string.Create(CultureInfo.InvariantCulture, $"{columns},{rows},{components},{bits},{(signed ? "s" : "u")}");
        var encoded = ExternalTool.Run(ExternalTool.Require("opj_compress"), ["-i", input, "-o", stream, "-F", format, .. options.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);
        Assert.That(encoded.ExitCode, Is.Zero, encoded.StdErr + encoded.StdOut);
        return stream;
    }

    /// <summary>
    /// Native multi-frame corpus files encoded by a third encoder, GDCM's `gdcmconv --j2k` (one codestream per frame):
    /// reversible ones decode to the original pixel data, irreversible ones within 1 of what GDCM decodes.
    /// </summary>
    [TestCase("modality/MR/emri_small.dcm", false)]
    [TestCase("modality/MR/mr_brucker.dcm", false)]
    [TestCase("large/MOVEKNEE.dcm", false)]
    [TestCase("modality/MR/explicit_little_16frames.dcm", false)]
    [TestCase("modality/NM/NM-MONO2-16-13x-heart", false)]
    [TestCase("modality/MR/emri_small.dcm", true)]
    [TestCase("large/MOVEKNEE.dcm", true)]
    public void Multi_frame_files_GDCM_encodes_decode_frame_by_frame(string path, bool irreversible)
    {
        var source = Corpus.PathOf(path);
        var encoded = Path.Combine(Temp, "gdcm-j2k.dcm");
        var r = ExternalTool.Run(ExternalTool.Require("gdcmconv"), irreversible ? ["--j2k", "--lossy", "--irreversible", "-q", "40", source, encoded] : ["--j2k", source, encoded]);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var file = DicomFile.Open(encoded);
        Assert.That(file.TransferSyntax.Uid, Is.AnyOf(TransferSyntax.JPEG2000Lossless.Uid, TransferSyntax.JPEG2000.Uid));
        var frames = PixelDataInfo.FromDataset(file.Dataset).NumberOfFrames;
        Assert.That(frames, Is.GreaterThan(1));
        Assert.That(EncapsulatedFrames.FromDataset(file.Dataset).Count, Is.EqualTo(frames), "one codestream per frame");
        Assert.That(Jpeg2000Stream.IsReversible(EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).Span), Is.EqualTo(!irreversible));
        var ours = Path.Combine(Temp, "ours.dcm");
        Transcoder.TranscodeFile(encoded, TransferSyntax.ExplicitVRLittleEndian, ours);
        var decoded = DicomFile.Open(ours).Dataset;
        var pixels = decoded.GetBytes(DicomTags.PixelData).ToArray();
        if (!irreversible)
        {
            var original = DicomFile.Open(source).Dataset.GetBytes(DicomTags.PixelData).ToArray();
            Assert.That(pixels.Length, Is.EqualTo(original.Length + (original.Length & 1)));
            Assert.That(pixels.AsSpan(0, original.Length).SequenceEqual(original), Is.True, "every frame equals the original");
            return;
        }
        var theirs = Path.Combine(Temp, "gdcm-raw.dcm");
        Assert.That(ExternalTool.Run(ExternalTool.Require("gdcmconv"), ["--raw", encoded, theirs]).ExitCode, Is.Zero);
        var reference = DicomFile.Open(theirs).Dataset;
        var info = PixelDataInfo.FromDataset(reference);
        var (max, mean) = Difference(pixels, reference.GetBytes(DicomTags.PixelData).ToArray(), info.BytesAllocated, info.BitsStored);
        TestContext.Out.WriteLine($"irreversible: largest difference {max}, mean {mean:F4}");
        Assert.That(max, Is.LessThanOrEqualTo(1));
    }

    [TestCase("transfer-syntax/jpeg2000-lossless/GH064.dcm")]
    [TestCase("transfer-syntax/jpeg2000-lossless/US1_J2KR.dcm")]
    [TestCase("transfer-syntax/jpeg2000-lossless/GDCMJ2K_TextGBR.dcm")]
    [TestCase("transfer-syntax/jpeg2000/CT1_J2KI")]
    [TestCase("transfer-syntax/jpeg2000/US1_J2KI.dcm")]
    public void Damaged_frames_decode_or_throw_DicomCodecException(string path) => DamagedFrames.CheckCorpusFile(path);

    [Test]
    public void A_cut_reversible_stream_says_so_rather_than_decoding_part_of_it()
    {
        var file = DicomFile.Open(Corpus.PathOf("transfer-syntax/jpeg2000-lossless/GH064.dcm"));
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var frame = EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).ToArray();
        var e = Assert.Throws<DicomCodecException>(() => new Jpeg2000Codec(TransferSyntax.JPEG2000Lossless).DecodeFrame(frame[..(frame.Length / 2)], info, new byte[info.FrameSize]))!;
        Assert.That(e.Message, Does.Contain("JPEG 2000 stream is truncated"));
    }

    [Test]
    public void A_frame_larger_than_the_data_set_says_is_refused_before_anything_is_allocated()
    {
        var file = DicomFile.Open(Corpus.PathOf("transfer-syntax/jpeg2000-lossless/GH064.dcm"));
        var info = PixelDataInfo.FromDataset(file.Dataset) with { Rows = 16, Columns = 16 };
        var frame = EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).ToArray();
        var e = Assert.Throws<DicomCodecException>(() => new Jpeg2000Codec(TransferSyntax.JPEG2000Lossless).DecodeFrame(frame, info, new byte[info.FrameSize]))!;
        Assert.That(e.Message, Does.Contain("256x256").And.Contain("16x16"));
    }

    [Test]
    public void HTJ2K_MIXED_mode_is_refused_by_name()
    {
        var file = DicomFile.Open(Corpus.PathOf("transfer-syntax/htj2k/HTJ2KLossless_08_RGB.dcm"));
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var frame = EncapsulatedFrames.FromDataset(file.Dataset).GetFrame(0).ToArray();
        // COD: marker, length, Scod, progression, layers (2), transform, levels, block width, height, then the style.
        var cod = frame.AsSpan().IndexOf([(byte)0xFF, (byte)0x52]);
        frame[cod + 12] |= 0x80;
        var e = Assert.Throws<DicomCodecException>(() => new Jpeg2000Codec(TransferSyntax.HTJ2KLossless).DecodeFrame(frame, info, new byte[info.FrameSize]))!;
        Assert.That(e.Message, Does.Contain("MIXED"));
    }

    [Test]
    public void The_JPEG_2000_syntaxes_decode_colour_to_RGB_and_only_the_lossless_one_encodes()
    {
        foreach (var syntax in new[] { TransferSyntax.JPEG2000Lossless, TransferSyntax.JPEG2000 })
        {
            Assert.That(CodecRegistry.Default.TryGet(syntax, out var codec), Is.True, syntax.Uid);
            Assert.That(codec.CanEncode(TestImages.Info(8, 8, 8)), Is.EqualTo(!syntax.IsLossy), syntax.Uid);
            foreach (var photometric in new[] { "YBR_RCT", "YBR_ICT", "RGB" })
                Assert.That(codec.GetDecodedInfo(TestImages.Info(8, 8, 8, samples: 3) with { PhotometricInterpretation = photometric }).PhotometricInterpretation, Is.EqualTo("RGB"));
            Assert.That(codec.GetDecodedInfo(TestImages.Info(8, 8, 16) with { PhotometricInterpretation = "MONOCHROME1" }).PhotometricInterpretation, Is.EqualTo("MONOCHROME1"));
        }
    }

    private static (int Max, double Mean) Difference(byte[] a, byte[] b, int bytes, int bitsStored)
    {
        var mask = (1 << bitsStored) - 1;
        int max = 0;
        long sum = 0, n = 0;
        for (var i = 0; i + bytes <= a.Length; i += bytes, n++)
        {
            var x = (bytes == 1 ? a[i] : a[i] | a[i + 1] << 8) & mask;
            var y = (bytes == 1 ? b[i] : b[i] | b[i + 1] << 8) & mask;
            var d = Math.Abs(x - y);
            max = Math.Max(max, d);
            sum += d;
        }
        return (max, (double)sum / n);
    }
}
