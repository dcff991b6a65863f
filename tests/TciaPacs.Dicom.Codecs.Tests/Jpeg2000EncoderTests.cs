using System.Globalization;
using CsCheck;
using NUnit.Framework;
using TciaPacs.Dicom.Codecs.Jpeg2000;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// The lossless JPEG 2000 encoders: Part 1 code-blocks (1.2.840.10008.1.2.4.90) and HTJ2K ones (4.201, 4.202 with RPCL
/// and a tile-part per resolution). Generated images of every layout PS3.5 allows come back exactly through our
/// decoder and through OpenJPEG's (opj_decompress), and the HTJ2K ones through OpenJPH's (ojph_expand); our streams are
/// about the size OpenJPEG's and OpenJPH's encoders write; every native corpus image survives native → compressed →
/// native, through ours and, for 4.90, through GDCM.
/// </summary>
[TestFixture("1.2.840.10008.1.2.4.90")]
[TestFixture("1.2.840.10008.1.2.4.201")]
[TestFixture("1.2.840.10008.1.2.4.202")]
public sealed class Jpeg2000EncoderTests(string syntax) : TempFolderTests
{
    private readonly IPixelCodec _codec = CodecRegistry.Default.Get(TransferSyntax.Lookup(syntax));
    private bool Ht => syntax != TransferSyntax.JPEG2000Lossless.Uid;

    [Test]
    public void Every_frame_comes_back_through_our_decoder() =>
        LosslessEncoderTests.LsImage.Gen.Sample(image =>
        {
            var info = image.Info;
            Assert.That(_codec.CanEncode(info), Is.True, image.ToString());
            var encodedInfo = _codec.GetEncodedInfo(info);
            var expected = Interleaved(image.Pixels, info);
            var frameSize = (int)info.FrameSize;
            for (var f = 0; f < info.NumberOfFrames; f++)
            {
                var encoded = _codec.EncodeFrame(image.Pixels.AsSpan(f * frameSize, frameSize), info);
                Assert.That(encoded.Length % 2, Is.Zero, "even length (PS3.5 A.4)");
                var decoded = new byte[frameSize];
                _codec.DecodeFrame(encoded, encodedInfo, decoded);
                Assert.That(decoded.AsSpan().SequenceEqual(expected.AsSpan(f * frameSize, frameSize)), Is.True, $"frame {f + 1} of {image}");
            }
        }, iter: 200, print: i => i.ToString());

    [TestCase(8, 8, 1, 0, "smooth", 67, 131)]
    [TestCase(8, 8, 1, 0, "noise", 1, 1)]
    [TestCase(8, 8, 1, 0, "constant", 9, 300)]
    [TestCase(8, 6, 1, 0, "runs", 64, 64)]
    [TestCase(8, 2, 1, 0, "mixed", 65, 3)]
    [TestCase(16, 12, 1, 0, "smooth", 257, 129)]
    [TestCase(16, 12, 1, 0, "extremes", 40, 33)]
    [TestCase(16, 16, 1, 0, "noise", 33, 70)]
    [TestCase(16, 16, 1, 1, "smooth", 70, 33)]
    [TestCase(16, 12, 1, 1, "noise", 31, 97)]
    [TestCase(8, 8, 1, 1, "extremes", 20, 20)]
    [TestCase(8, 8, 3, 0, "mixed", 67, 131)]
    [TestCase(16, 10, 3, 0, "noise", 50, 60)]
    [TestCase(16, 16, 3, 0, "extremes", 13, 17)]
    public void OpenJpeg_decodes_what_we_encode(int allocated, int stored, int samples, int signed, string pattern, int rows, int columns)
    {
        var (info, pixels, codestream) = Encoded(allocated, stored, samples, signed, pattern, rows, columns);
        var theirs = OpenJpeg(codestream, rows, columns, samples);
        Assert.That(Masked(theirs, allocated), Is.EqualTo(Samples(pixels, info)), "OpenJPEG's samples, in Bits Allocated");
    }

    /// <summary>
    /// Our streams against the reference encoders' lossless ones for the same image (opj_compress: 5-3, six
    /// resolutions, 64x64 code-blocks; ojph_compress -reversible true): within a few percent, both ways.
    /// </summary>
    [TestCase(16, 12, 1, "smooth")]
    [TestCase(16, 16, 1, "noise")]
    [TestCase(8, 8, 1, "mixed")]
    [TestCase(8, 8, 3, "smooth")]
    public void The_reference_encoders_write_about_as_much(int allocated, int stored, int samples, string pattern)
    {
        const int Rows = 300, Columns = 280;
        var (info, pixels, ours) = Encoded(allocated, stored, samples, 0, pattern, Rows, Columns);
        var pnm = Path.Combine(Temp, samples == 3 ? "image.ppm" : "image.pgm");
        using (var output = File.Create(pnm))
        {
            output.Write(System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{(samples == 3 ? "P6" : "P5")}\n{Columns} {Rows}\n{(1 << stored) - 1}\n")));
            foreach (var v in Samples(pixels, info))
            {
                if (stored > 8) output.WriteByte((byte)(v >> 8));
                output.WriteByte((byte)v);
            }
        }
        var reference = Path.Combine(Temp, "reference.j2c");
        var r = Ht
            ? ExternalTool.Run(ExternalTool.Require("ojph_compress"), ["-i", pnm, "-o", reference, "-reversible", "true", "-num_decomps", "5"])
            : ExternalTool.Run(ExternalTool.Require("opj_compress"), ["-i", pnm, "-o", reference, "-n", "6"]);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr + r.StdOut);
        var theirs = new FileInfo(reference).Length;
        TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours {ours.Length} bytes, {(Ht ? "ojph_compress" : "opj_compress")} {theirs}"));
        Assert.That(ours.Length, Is.InRange(theirs * 0.95 - 64, theirs * 1.03 + 64));
    }

    [Test]
    public void The_codestream_is_the_syntax_s_form()
    {
        var (_, _, codestream) = Encoded(16, 12, 1, 0, "smooth", 200, 150);
        var markers = Markers(codestream);
        Assert.That(markers[0], Is.EqualTo(0xFF4F), "SOC first");
        Assert.That(markers[^1], Is.EqualTo(0xFFD9), "EOC last");
        var siz = Find(codestream, 0xFF51);
        Assert.That(codestream[siz + 4] << 8 | codestream[siz + 5], Is.EqualTo(Ht ? 0x4000 : 0), "Rsiz: Part 15 capabilities for HTJ2K");
        var at = Find(codestream, 0xFF52);
        Assert.That(codestream[at + 5], Is.EqualTo(syntax.EndsWith(".202", StringComparison.Ordinal) ? 2 : 0), "progression order: RPCL for 4.202, else LRCP");
        Assert.That(codestream[at + 12], Is.EqualTo(Ht ? 0x40 : 0), "code-block style: HT");
        Assert.That(codestream[at + 13], Is.EqualTo(1), "the reversible 5-3 wavelet");
        Assert.That(markers.Contains(0xFF50), Is.EqualTo(Ht), "CAP for HTJ2K");
        var tileParts = markers.Count(m => m == 0xFF90);
        if (syntax.EndsWith(".202", StringComparison.Ordinal))
        {
            Assert.That(tileParts, Is.EqualTo(codestream[at + 9] + 1), "a tile-part per resolution");
            Assert.That(markers.Contains(0xFF55), Is.True, "TLM lists them");
        }
        else Assert.That(tileParts, Is.EqualTo(1));
    }

    /// <summary>
    /// RGB goes through the reversible component transform, as OpenJPEG and OpenJPH code it by default: the data set
    /// says YBR_RCT (PS3.5 8.2.4), COD signals the transform, decoders give back RGB (ours, and GDCM for 4.90), and a
    /// real ultrasound frame takes less room than its three colours coded apart (6 % here: it is mostly grey).
    /// </summary>
    [Test]
    public void Rgb_is_coded_through_the_reversible_component_transform()
    {
        var file = DicomFile.Open(Corpus.PathOf("modality/US/US-RGB-8-esopecho"));
        var info = PixelDataInfo.FromDataset(file.Dataset);
        Assert.That(info.PhotometricInterpretation, Is.EqualTo("RGB"));
        var compressed = new DicomTranscoder().Transcode(file, _codec.TransferSyntax);
        Assert.That(compressed.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("YBR_RCT"));
        var frame = Codestream(EncapsulatedFrames.FromDataset(compressed.Dataset).GetFrame(0).ToArray());
        Assert.That(frame[Find(frame, 0xFF52) + 8], Is.EqualTo(1), "COD: multiple component transform");
        var back = new DicomTranscoder().Transcode(compressed, TransferSyntax.ExplicitVRLittleEndian);
        Assert.That(back.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("RGB"));
        Assert.That(TestImages.NativePixels(back), Is.EqualTo(Interleaved(TestImages.NativePixels(file), info)));

        // The same frame's three colours coded apart.
        var planes = new int[3][];
        var pixels = TestImages.NativePixels(file);
        for (var c = 0; c < 3; c++) planes[c] = Enumerable.Range(0, info.Rows * info.Columns).Select(p => (int)pixels[info.PlanarConfiguration == 1 ? c * info.Rows * info.Columns + p : 3 * p + c]).ToArray();
        var apart = Jpeg2000Encoder.Encode(planes, info.Columns, info.Rows, 8, false, Ht ? (syntax.EndsWith(".202", StringComparison.Ordinal) ? Jpeg2000Encoder.Form.HighThroughputRpcl : Jpeg2000Encoder.Form.HighThroughput) : Jpeg2000Encoder.Form.Part1);
        TestContext.Out.WriteLine($"with the transform {frame.Length} bytes, without {apart.Length}");
        Assert.That(frame.Length, Is.LessThan(apart.Length * 96 / 100));

        if (Ht) return;
        var ours = Path.Combine(Temp, "ours.dcm");
        var decoded = Path.Combine(Temp, "decoded.dcm");
        compressed.Save(ours);
        var r = ExternalTool.Run(ExternalTool.Require("gdcmconv"), ["--raw", ours, decoded]);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var gdcm = DicomFile.Open(decoded);
        Assert.That(gdcm.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("RGB"), "GDCM undoes the transform too");
        Assert.That(Interleaved(TestImages.NativePixels(gdcm), info with { PlanarConfiguration = PixelDataInfo.FromDataset(gdcm.Dataset).PlanarConfiguration }),
            Is.EqualTo(Interleaved(pixels, info)));
    }

    [TestCase(8, 8, 3, "YBR_FULL_422")]
    [TestCase(32, 32, 1, "MONOCHROME2")]
    [TestCase(16, 1, 1, "MONOCHROME2")]
    [TestCase(8, 8, 4, "ARGB")]
    public void Layouts_PS3_5_does_not_allow_are_not_offered(int allocated, int stored, int samples, string photometric)
    {
        var info = TestImages.Info(8, 8, allocated, samples) with { BitsStored = stored, HighBit = stored - 1, PhotometricInterpretation = photometric };
        Assert.That(_codec.CanEncode(info), Is.False);
        Assert.That(CodecRegistry.Default.Get(TransferSyntax.JPEG2000).CanEncode(TestImages.Info(8, 8, 8)), Is.False, "4.91 is not written");
        Assert.That(CodecRegistry.Default.Get(TransferSyntax.HTJ2K).CanEncode(TestImages.Info(8, 8, 8)), Is.False, "nor 4.203");
    }

    public static IEnumerable<TestCaseData> NativeImages() =>
        NativeCorpusRoundTripTests.NativeFiles(Jpeg2000Codec.All[0].CanEncode);

    [Test]
    public void The_corpus_has_images_they_can_hold() => Assert.That(NativeImages().Count(), Is.GreaterThanOrEqualTo(30));

    /// <summary>
    /// Native → compressed → native through ours: every byte of the pixel data comes back. OpenJPEG (opj_decompress)
    /// decodes the first and last frames to the same samples (GDCM cannot read several of these files even native).
    /// </summary>
    [TestCaseSource(nameof(NativeImages))]
    public void Corpus_images_come_back(string relative)
    {
        var (info, original, compressed, _) = LosslessEncoderTests.ComesBackThroughOurs(relative, _codec.TransferSyntax, Temp);

        var frames = EncapsulatedFrames.FromDataset(compressed.Dataset);
        var frameSize = (int)info.FrameSize;
        foreach (var f in new[] { 0, frames.Count - 1 }.Distinct())
        {
            var codestream = Codestream(frames.GetFrame(f).ToArray());
            var mask = (1 << Precision(codestream)) - 1;
            var theirs = OpenJpeg(codestream, info.Rows, info.Columns, info.SamplesPerPixel);
            var expected = Samples(original.AsSpan(f * frameSize, frameSize).ToArray(), info with { PlanarConfiguration = 0 });
            Assert.That(theirs.Select(v => v & mask), Is.EqualTo(expected.Select(v => v & mask)), $"opj_decompress, frame {f + 1}");
        }
    }

    // ---- helpers ----

    private (PixelDataInfo Info, byte[] Pixels, byte[] Codestream) Encoded(int allocated, int stored, int samples, int signed, string pattern, int rows, int columns) =>
        Encoded(_codec, allocated, stored, samples, signed, pattern, rows, columns);

    internal static (PixelDataInfo Info, byte[] Pixels, byte[] Codestream) Encoded(IPixelCodec codec, int allocated, int stored, int samples, int signed, string pattern, int rows, int columns)
    {
        var info = TestImages.Info(rows, columns, allocated, samples) with
        {
            BitsStored = stored, HighBit = stored - 1, PixelRepresentation = signed, PhotometricInterpretation = samples == 3 ? "RGB" : "MONOCHROME2",
        };
        var pixels = LosslessEncoderTests.LsImage.Make(info, pattern, 7);
        return (info, pixels, Codestream(codec.EncodeFrame(pixels, info)));
    }

    /// <summary>What opj_decompress makes of a codestream: its samples colour-by-pixel (two's complement when 16-bit signed).</summary>
    private int[] OpenJpeg(byte[] codestream, int rows, int columns, int samples) =>
        HtJ2kCodecTests.OpenJpeg(codestream, rows, columns, samples, Precision(codestream) > 8 ? 2 : 1, Temp);

    /// <summary>The frame without its even-length padding after EOC, which is not part of the codestream.</summary>
    private static byte[] Codestream(byte[] frame) =>
        frame.Length > 2 && frame[^1] == 0 && frame[^3] == 0xFF && frame[^2] == 0xD9 ? frame[..^1] : frame;

    /// <summary>The SIZ precision of the first component.</summary>
    private static int Precision(byte[] codestream) => (codestream[Find(codestream, 0xFF51) + 40] & 0x7F) + 1;

    private static int Find(byte[] codestream, int marker) => Markers(codestream, out var positions).IndexOf(marker) is var i and >= 0 ? positions[i] : -1;

    private static List<int> Markers(byte[] codestream) => Markers(codestream, out _);

    /// <summary>The markers of the main header and of each tile-part header (tile-part bodies skipped by their SOT lengths).</summary>
    private static List<int> Markers(byte[] s, out List<int> positions)
    {
        var markers = new List<int> { s[0] << 8 | s[1] };
        positions = [0];
        var at = 2;
        while (at + 4 <= s.Length)
        {
            var marker = s[at] << 8 | s[at + 1];
            markers.Add(marker);
            positions.Add(at);
            if (marker == 0xFFD9) break;
            if (marker == 0xFF90)
            {
                var length = s[at + 6] << 24 | s[at + 7] << 16 | s[at + 8] << 8 | s[at + 9];
                markers.Add(0xFF93);
                positions.Add(at + 12);
                at += length;
                continue;
            }
            at += 2 + (s[at + 2] << 8 | s[at + 3]);
        }
        if (at + 2 == s.Length) { markers.Add(s[at] << 8 | s[at + 1]); positions.Add(at); }
        return markers;
    }

    /// <summary>The image's samples colour-by-pixel, as integers of Bits Allocated (sign extension included).</summary>
    internal static int[] Samples(byte[] pixels, PixelDataInfo info)
    {
        var bytes = Interleaved(pixels, info);
        var b = info.BytesAllocated;
        var values = new int[bytes.Length / b];
        for (var i = 0; i < values.Length; i++) values[i] = b == 1 ? bytes[i] : bytes[2 * i] | bytes[2 * i + 1] << 8;
        return values;
    }

    private static int[] Masked(int[] values, int allocated) => values.Select(v => v & ((1 << allocated) - 1)).ToArray();

    private static byte[] Interleaved(byte[] pixels, PixelDataInfo info) => LosslessEncoderTests.Interleaved(pixels, info);
}

/// <summary>The HTJ2K encoders' streams through OpenJPH's decoder (ojph_expand), which reads HTJ2K code-blocks only.</summary>
[TestFixture("1.2.840.10008.1.2.4.201")]
[TestFixture("1.2.840.10008.1.2.4.202")]
public sealed class HtJ2kEncoderTests(string syntax) : TempFolderTests
{
    private readonly IPixelCodec _codec = CodecRegistry.Default.Get(TransferSyntax.Lookup(syntax));

    [TestCase(8, 8, 1, "smooth", 67, 131)]
    [TestCase(8, 5, 1, "runs", 64, 64)]
    [TestCase(16, 12, 1, "smooth", 257, 129)]
    [TestCase(16, 16, 1, "noise", 33, 70)]
    [TestCase(16, 12, 1, "extremes", 1, 1)]
    [TestCase(8, 8, 3, "mixed", 67, 131)]
    [TestCase(16, 16, 3, "noise", 50, 60)]
    public void OpenJph_decodes_what_we_encode(int allocated, int stored, int samples, string pattern, int rows, int columns)
    {
        var (info, pixels, codestream) = Jpeg2000EncoderTests.Encoded(_codec, allocated, stored, samples, 0, pattern, rows, columns);
        var theirs = HtJ2kCodecTests.OpenJph(codestream, info, Temp);
        Assert.That(theirs, Is.EqualTo(Jpeg2000EncoderTests.Samples(pixels, info)), "OpenJPH's samples");
    }

}
