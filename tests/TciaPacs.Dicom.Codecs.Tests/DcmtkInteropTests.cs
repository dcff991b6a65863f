using CsCheck;
using NUnit.Framework;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>RLE files we write from generated images (8/16/32 bits, 1 and 3 samples, both planar configurations, several frames) decode in dcmtk to our pixels.</summary>
[TestFixture]
public sealed class DcmtkInteropTests
{
    private string _temp = null!;

    [OneTimeSetUp]
    public void CreateTemp() => _temp = Directory.CreateTempSubdirectory("tciapacs-codecs-dcmtk-").FullName;

    [OneTimeTearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    [Test]
    public void DcmdrleDecodesGeneratedImages()
    {
        var dcmdrle = ExternalTool.Require("dcmdrle");
        GeneratedImage.Gen.Sample(image =>
        {
            var ours = Path.Combine(_temp, Guid.NewGuid().ToString("N") + ".dcm");
            var decoded = Path.Combine(_temp, Guid.NewGuid().ToString("N") + ".dcm");
            new DicomTranscoder().Transcode(TestImages.NativeFile(image.Info, image.Pixels), TransferSyntax.RLELossless).Save(ours);
            var run = ExternalTool.Run(dcmdrle, [ours, decoded]);
            Assert.That(run.ExitCode, Is.Zero, $"dcmdrle: {run.StdErr}");
            Assert.That(RleCorpusTests.FirstDifference(TestImages.NativePixels(DicomFile.Open(decoded)), image.Pixels), Is.EqualTo(-1), image.ToString());
        }, iter: 40, threads: 1, print: i => i.ToString());
    }

    [TestCase(8, 1)]
    [TestCase(16, 1)]
    [TestCase(32, 1)]
    [TestCase(8, 3)]
    [TestCase(16, 3)]
    [TestCase(32, 3)]
    public void DcmdrleDecodesEveryLayout(int bits, int samples)
    {
        var dcmdrle = ExternalTool.Require("dcmdrle");
        foreach (var planar in samples == 3 ? new[] { 0, 1 } : [0])
        {
            var info = TestImages.Info(37, 261, bits, samples, frames: 3, planar: planar);
            var pixels = GeneratedImage.Make(info.TotalSize, "mixed", bits * 10 + samples);
            var ours = Path.Combine(_temp, $"{bits}-{samples}-{planar}.dcm");
            var decoded = Path.Combine(_temp, $"{bits}-{samples}-{planar}.native.dcm");
            new DicomTranscoder().Transcode(TestImages.NativeFile(info, pixels), TransferSyntax.RLELossless).Save(ours);
            var run = ExternalTool.Run(dcmdrle, [ours, decoded]);
            Assert.That(run.ExitCode, Is.Zero, $"dcmdrle: {run.StdErr}");
            Assert.That(RleCorpusTests.FirstDifference(TestImages.NativePixels(DicomFile.Open(decoded)), pixels), Is.EqualTo(-1), $"planar {planar}");
        }
    }
}
