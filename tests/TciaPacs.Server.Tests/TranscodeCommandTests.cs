using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Server.Tests;

[TestFixture]
public sealed class TranscodeCommandTests
{
    private string _temp = null!;

    [SetUp]
    public void CreateTemp() => _temp = Directory.CreateTempSubdirectory("tciapacs-transcode-").FullName;

    [TearDown]
    public void DeleteTemp() => Directory.Delete(_temp, true);

    [TestCase("1.2.840.10008.1.2")]
    [TestCase("1.2.840.10008.1.2.1")]
    [TestCase("1.2.840.10008.1.2.2")]
    [TestCase("1.2.840.10008.1.2.1.99")]
    [TestCase("ExplicitVRBigEndian")]
    public void Transcodes_native_syntaxes_and_dcmtk_agrees(string target)
    {
        var input = Corpus.PathOf("transfer-syntax/explicit-vr-le/CT_small.dcm");
        var output = Path.Combine(_temp, "out.dcm");
        var r = Tciapacs.Run("transcode", input, output, "--transfer-syntax", target);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var written = DicomFile.Open(output);
        var uid = target.StartsWith('1') ? target : TransferSyntax.ExplicitVRBigEndian.Uid;
        Assert.That(written.TransferSyntax.Uid, Is.EqualTo(uid));
        Assert.That(written.Meta.GetString(DicomTags.ImplementationClassUID), Is.EqualTo(DicomUids.ImplementationClassUid));

        // Same pixels, and dcmtk reads what we wrote.
        var orig = DicomFile.Open(input).Dataset.GetBytes(DicomTags.PixelData).ToArray();
        var round = written.Dataset.GetBytes(DicomTags.PixelData).ToArray();
        Assert.That(round, Is.EqualTo(orig));
        var dump = ExternalTool.Run(ExternalTool.Require("dcmdump"), ["-q", output]);
        Assert.That(dump.ExitCode, Is.Zero, dump.StdErr);
        Assert.That(dump.StdOut, Does.Contain("CompressedSamples^CT1"));
    }

    /// <summary>
    /// Into JPEG Extended with <c>--quality</c>: a derived 12-bit JPEG that dcmdjpeg decodes, larger and closer to the
    /// original at a higher quality; <c>--quality</c> for a lossless syntax, or out of range, is a usage error.
    /// </summary>
    [Test]
    public void Lossy_JPEG_at_a_quality_gives_a_derived_instance_dcmtk_decodes()
    {
        var input = Corpus.PathOf("edge-cases/sequences/GH342.dcm"); // a CT of 12 unsigned bits
        var original = DicomFile.Open(input).Dataset;
        var results = new List<(long Size, double Error)>();
        foreach (var quality in new[] { "50", "95" })
        {
            var output = Path.Combine(_temp, $"q{quality}.dcm");
            var r = Tciapacs.Run("transcode", input, output, "-t", "1.2.840.10008.1.2.4.51", "--quality", quality);
            Assert.That(r.ExitCode, Is.Zero, r.StdErr);
            var written = DicomFile.Open(output).Dataset;
            Assert.That(written.GetString(DicomTags.SOPInstanceUID), Is.Not.EqualTo(original.GetString(DicomTags.SOPInstanceUID)), "a new instance");
            Assert.That(written.GetString(DicomTags.DerivationDescription), Does.Contain($"quality {quality}"));
            var decoded = Path.Combine(_temp, $"q{quality}-decoded.dcm");
            var d = ExternalTool.Run(ExternalTool.Require("dcmdjpeg"), [output, decoded]);
            Assert.That(d.ExitCode, Is.Zero, d.StdErr);
            var a = DicomFile.Open(decoded).Dataset.GetBytes(DicomTags.PixelData).ToArray();
            var b = original.GetBytes(DicomTags.PixelData).ToArray();
            double error = 0;
            for (var i = 0; i < b.Length; i += 2) error += Math.Abs((BitConverter.ToUInt16(a, i) & 0xFFF) - (BitConverter.ToUInt16(b, i) & 0xFFF));
            results.Add((new FileInfo(output).Length, error / (b.Length / 2)));
        }
        TestContext.Out.WriteLine(string.Join("; ", results));
        Assert.That(results[1].Size, Is.GreaterThan(results[0].Size));
        Assert.That(results[1].Error, Is.LessThan(results[0].Error).And.LessThan(2));

        var bad = Tciapacs.Run("transcode", input, Path.Combine(_temp, "x.dcm"), "-t", "1.2.840.10008.1.2.4.70", "--quality", "90");
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.StdErr, Does.Contain("--quality applies to JPEG Baseline"));
        var outOfRange = Tciapacs.Run("transcode", input, Path.Combine(_temp, "x.dcm"), "-t", "1.2.840.10008.1.2.4.51", "--quality", "0");
        Assert.That(outOfRange.ExitCode, Is.EqualTo(2));
        Assert.That(outOfRange.StdErr, Does.Contain("outside 1 to 100"));
    }

    [Test]
    public void Rle_both_ways_gives_the_pixels_dcmtk_decodes()
    {
        var input = Corpus.PathOf("transfer-syntax/rle/SC_rgb_rle_16bit.dcm");
        var native = Path.Combine(_temp, "native.dcm");
        var rle = Path.Combine(_temp, "rle.dcm");
        var byDcmtk = Path.Combine(_temp, "dcmtk.dcm");
        Assert.That(Tciapacs.Run("transcode", input, native, "-t", "ExplicitVRLittleEndian").ExitCode, Is.Zero);
        Assert.That(Tciapacs.Run("transcode", native, rle, "-t", "1.2.840.10008.1.2.5").ExitCode, Is.Zero);
        Assert.That(ExternalTool.Run(ExternalTool.Require("dcmdrle"), [input, byDcmtk]).ExitCode, Is.Zero);
        var expected = DicomFile.Open(byDcmtk).Dataset.GetBytes(DicomTags.PixelData).ToArray();
        Assert.That(DicomFile.Open(native).Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(expected));
        var ours = Path.Combine(_temp, "ours-decoded-by-dcmtk.dcm");
        Assert.That(ExternalTool.Run(ExternalTool.Require("dcmdrle"), [rle, ours]).ExitCode, Is.Zero);
        Assert.That(DicomFile.Open(ours).Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Compressed_syntax_without_codec_is_a_clear_error_and_writes_nothing()
    {
        // JPEG 2000 Part 2 Multi-component has no codec here: the JPEG XL file's frames labelled so.
        var jxl = DicomFile.Open(Corpus.PathOf("transfer-syntax/jpeg-xl/will-jxl.dcm"));
        var part2 = TransferSyntax.Lookup("1.2.840.10008.1.2.4.92");
        var input = Path.Combine(_temp, "part2.dcm");
        new DicomFile(Dicom.IO.DicomWriter.BuildMeta(jxl.Meta, jxl.Dataset, part2), jxl.Dataset, part2).Save(input);
        var output = Path.Combine(_temp, "q.dcm");
        var r = Tciapacs.Run("transcode", input, output, "-t", "ExplicitVRLittleEndian");
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.StdErr, Does.Contain("No codec").And.Contain("1.2.840.10008.1.2.4.92"));
        Assert.That(File.Exists(output), Is.False);
    }

    [Test]
    public void JPEG_XL_is_decoded_with_libjxl()
    {
        var output = Path.Combine(_temp, "jxl-decoded.dcm");
        var r = Tciapacs.Run("transcode", Corpus.PathOf("transfer-syntax/jpeg-xl/will-jxl.dcm"), output, "-t", "ExplicitVRLittleEndian");
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var decoded = DicomFile.Open(output);
        Assert.That(decoded.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("RGB"), "a lossy JPEG's YBR becomes RGB, as for JPEG Baseline");
        Assert.That(decoded.Dataset.Get(DicomTags.PixelData)!.Buffer.Length, Is.EqualTo(27L * 708 * 1016 * 3), "27 frames of 1016 × 708 RGB");
        Assert.That(decoded.Dataset.GetString(DicomTags.LossyImageCompression), Is.EqualTo("01"));
    }

    [Test]
    public void JPEG_Lossless_is_decoded_as_dcmdjpeg_decodes_it_and_a_corrupt_stream_is_a_clear_error()
    {
        var source = Corpus.PathOf("transfer-syntax/jpeg-lossless-sv1/CT-JPEGLosslessSV1.dcm");
        var output = Path.Combine(_temp, "decoded.dcm");
        var r = Tciapacs.Run("transcode", source, output, "-t", "ExplicitVRLittleEndian");
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var theirs = Path.Combine(_temp, "dcmdjpeg.dcm");
        Assert.That(ExternalTool.Run(ExternalTool.Require("dcmdjpeg"), [source, theirs]).ExitCode, Is.Zero);
        Assert.That(DicomFile.Open(output).Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(DicomFile.Open(theirs).Dataset.GetBytes(DicomTags.PixelData).ToArray()));

        // The same file with its JPEG stream cut in half.
        var file = DicomFile.Open(source);
        var pixels = (DicomFragmentSequence)file.Dataset.Get(DicomTags.PixelData)!;
        var frame = pixels.Fragments[0].GetBytes().ToArray();
        pixels.Fragments[0] = new TciaPacs.Dicom.IO.MemoryBuffer(frame[..(frame.Length / 2 & ~1)]);
        var cut = Path.Combine(_temp, "cut.dcm");
        file.Save(cut);
        var bad = Path.Combine(_temp, "bad.dcm");
        r = Tciapacs.Run("transcode", cut, bad, "-t", "ExplicitVRLittleEndian");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("lossless JPEG stream is corrupt"));
        Assert.That(File.Exists(bad), Is.False);
    }

    [Test]
    public void Unknown_transfer_syntax_is_a_clear_error()
    {
        var r = Tciapacs.Run("transcode", Corpus.PathOf("transfer-syntax/explicit-vr-le/CT_small.dcm"), Path.Combine(_temp, "x.dcm"), "--transfer-syntax", "not-a-uid");
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.StdErr, Does.Contain("not a transfer syntax UID"));
        Assert.That(File.Exists(Path.Combine(_temp, "x.dcm")), Is.False);
    }
}
