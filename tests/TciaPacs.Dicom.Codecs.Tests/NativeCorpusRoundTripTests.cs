using NUnit.Framework;
using TciaPacs.Dicom.Codecs.Rle;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// Every native corpus image that RLE can hold (PS3.5 G.2: whole bytes, at most 15 segments) survives native → RLE →
/// native byte for byte, and dcmtk's dcmdrle decodes the RLE files we write to the original pixels.
/// </summary>
[TestFixture]
public sealed class NativeCorpusRoundTripTests
{
    private string _temp = null!;

    [OneTimeSetUp]
    public void CreateTemp() => _temp = Directory.CreateTempSubdirectory("tciapacs-codecs-native-").FullName;

    [OneTimeTearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    public static IEnumerable<TestCaseData> NativeImages() => NativeFiles(new RleCodec().CanEncode);

    /// <summary>The corpus's readable native images whose attributes <paramref name="canEncode"/> accepts, their pixel data whole.</summary>
    public static IEnumerable<TestCaseData> NativeFiles(Func<PixelDataInfo, bool> canEncode)
    {
        foreach (var entry in Corpus.Entries)
        {
            DicomFile file;
            try
            {
                file = DicomFile.Open(entry.FullPath);
            }
            catch (DicomParseException)
            {
                continue; // unreadable files are the parser's tests, not ours
            }
            if (file.TransferSyntax.IsEncapsulated || file.Dataset.Get(DicomTags.PixelData) is not { } pixelData || pixelData is DicomFragmentSequence) continue;
            PixelDataInfo info;
            try
            {
                info = PixelDataInfo.FromDataset(file.Dataset);
            }
            catch (DicomCodecException)
            {
                continue;
            }
            if (!canEncode(info) || pixelData.Buffer.Length < info.TotalSize) continue;
            yield return new TestCaseData(entry.Path).SetArgDisplayNames(entry.Path);
        }
    }

    [Test]
    public void TheCorpusHasNativeImages() => Assert.That(NativeImages().Count(), Is.GreaterThanOrEqualTo(50));

    [TestCaseSource(nameof(NativeImages))]
    public void RoundTripsThroughRle(string relative)
    {
        var transcoder = new DicomTranscoder();
        var file = DicomFile.Open(Corpus.PathOf(relative));
        var original = TestImages.NativePixels(file);
        var rle = TestImages.SaveAndReopen(transcoder.Transcode(file, TransferSyntax.RLELossless));
        Assert.That(rle.TransferSyntax, Is.EqualTo(TransferSyntax.RLELossless));
        var back = transcoder.Transcode(rle, TransferSyntax.ExplicitVRLittleEndian);
        Assert.That(RleCorpusTests.FirstDifference(TestImages.NativePixels(back), original), Is.EqualTo(-1), "first differing byte");
    }

    [TestCaseSource(nameof(NativeImages))]
    public void DcmdrleDecodesWhatWeEncode(string relative)
    {
        var file = DicomFile.Open(Corpus.PathOf(relative));
        var original = TestImages.NativePixels(file);
        var ours = Path.Combine(_temp, Guid.NewGuid().ToString("N") + ".dcm");
        var decoded = Path.Combine(_temp, Guid.NewGuid().ToString("N") + ".dcm");
        new DicomTranscoder().Transcode(file, TransferSyntax.RLELossless).Save(ours);
        var run = ExternalTool.Run(ExternalTool.Require("dcmdrle"), [ours, decoded]);
        Assert.That(run.ExitCode, Is.Zero, $"dcmdrle: {run.StdErr}");
        Assert.That(RleCorpusTests.FirstDifference(TestImages.NativePixels(DicomFile.Open(decoded)), original), Is.EqualTo(-1), "first differing byte");
    }
}
