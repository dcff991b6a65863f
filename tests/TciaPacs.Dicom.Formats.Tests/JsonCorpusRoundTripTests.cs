using NUnit.Framework;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Formats.Tests;

/// <summary>Every corpus file our reader parses: data set → DICOM JSON → data set gives the same elements and values.</summary>
[TestFixture, Parallelizable(ParallelScope.All)]
public sealed class JsonCorpusRoundTripTests
{
    public static IEnumerable<TestCaseData> Files() => Corpus.Readable();

    [TestCaseSource(nameof(Files))]
    public void RoundTrip(string relative)
    {
        var original = CorpusCases.Open(relative);
        var json = DicomJson.Serialize(original);
        var copy = DicomJson.Deserialize(json);
        DatasetAssert.Equivalent(original, copy);
        // Writing the copy again gives the same JSON, except (0008,0005) where text was re-encoded as UTF-8.
        Assert.That(DicomJson.Serialize(WithoutCharset(copy)), Is.EqualTo(DicomJson.Serialize(WithoutCharset(DicomJson.Deserialize(json)))));
    }

    private static DicomDataset WithoutCharset(DicomDataset ds)
    {
        ds.Remove(DicomTags.SpecificCharacterSet);
        return ds;
    }
}
