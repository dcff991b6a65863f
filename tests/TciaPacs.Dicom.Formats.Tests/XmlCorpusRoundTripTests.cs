using NUnit.Framework;
using TciaPacs.Dicom.Formats.Xml;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Formats.Tests;

/// <summary>Every corpus file our reader parses: data set → Native DICOM Model XML → data set gives the same elements and values.</summary>
[TestFixture, Parallelizable(ParallelScope.All)]
public sealed class XmlCorpusRoundTripTests
{
    public static IEnumerable<TestCaseData> Files() => Corpus.Readable();

    [TestCaseSource(nameof(Files))]
    public void RoundTrip(string relative)
    {
        var original = CorpusCases.Open(relative);
        var xml = DicomXml.Serialize(original);
        var copy = DicomXml.Deserialize(xml);
        DatasetAssert.Equivalent(original, copy);
    }
}
