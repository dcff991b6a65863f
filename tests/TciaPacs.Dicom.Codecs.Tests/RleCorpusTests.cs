using NUnit.Framework;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>
/// Every RLE Lossless file of the shared corpus decodes to the same bytes as pydicom's (pure python) RLE handler and
/// dcmtk's dcmdrle give. Missing tools fail these tests: CI installs them.
/// </summary>
[TestFixture]
public sealed class RleCorpusTests
{
    private string _temp = null!;
    private Dictionary<string, (byte[]? Pixels, string? Error)> _pydicom = null!;

    public static IEnumerable<TestCaseData> RleFiles() =>
        Corpus.Entries.Where(e => e.TransferSyntax.StartsWith(TransferSyntax.RLELossless.Uid + " ", StringComparison.Ordinal))
            .Select(e => new TestCaseData(e.Path).SetArgDisplayNames(e.Path));

    [OneTimeSetUp]
    public void DecodeWithPydicom()
    {
        _temp = Directory.CreateTempSubdirectory("tciapacs-codecs-").FullName;
        _pydicom = PydicomPixels.Decode(RleFiles().Select(c => Corpus.PathOf((string)c.Arguments[0]!)), _temp);
    }

    [OneTimeTearDown]
    public void DeleteTemp() => Directory.Delete(_temp, recursive: true);

    [Test]
    public void TheCorpusHasRleFiles() => Assert.That(RleFiles().Count(), Is.GreaterThanOrEqualTo(10));

    private static byte[] DecodeOurs(string path, out DicomFile decoded)
    {
        var file = DicomFile.Open(path);
        decoded = new DicomTranscoder().Transcode(file, TransferSyntax.ExplicitVRLittleEndian);
        return TestImages.NativePixels(decoded);
    }

    [TestCaseSource(nameof(RleFiles))]
    public void DecodesLikePydicom(string relative)
    {
        var path = Corpus.PathOf(relative);
        var (theirs, error) = _pydicom[path];
        Assert.That(error, Is.Null, "pydicom could not decode it");
        var ours = DecodeOurs(path, out _);
        Assert.That(ours.Length, Is.EqualTo(theirs!.Length), "decoded length");
        Assert.That(FirstDifference(ours, theirs), Is.EqualTo(-1), "first differing byte");
    }

    [TestCaseSource(nameof(RleFiles))]
    public void DecodesLikeDcmdrle(string relative)
    {
        var path = Corpus.PathOf(relative);
        var output = Path.Combine(_temp, Guid.NewGuid().ToString("N") + ".dcm");
        var run = ExternalTool.Run(ExternalTool.Require("dcmdrle"), [path, output]);
        Assert.That(run.ExitCode, Is.Zero, $"dcmdrle: {run.StdErr}");
        var theirs = TestImages.NativePixels(DicomFile.Open(output));
        var ours = DecodeOurs(path, out var decoded);
        Assert.That(ours.Length, Is.EqualTo(theirs.Length), "decoded length");
        Assert.That(FirstDifference(ours, theirs), Is.EqualTo(-1), "first differing byte");
        var source = DicomFile.Open(path).Dataset;
        Assert.That(decoded.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo(source.GetString(DicomTags.PhotometricInterpretation)),
            "RLE applies no colour transform (PS3.5 8.2.2)");
    }

    internal static int FirstDifference(byte[] a, byte[] b)
    {
        var n = a.AsSpan().CommonPrefixLength(b);
        return n == a.Length && n == b.Length ? -1 : n;
    }
}
