using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Archive.Lucene.Tests;

/// <summary>The default attribute list: size, QIDO-RS coverage, parsing of configured and private attributes.</summary>
[TestFixture]
public sealed class IndexedAttributesTests
{
    [Test]
    public void DefaultListHasAtLeastNinetyDistinctAttributes()
    {
        Assert.That(IndexedAttributes.Default, Has.Count.GreaterThanOrEqualTo(90));
        Assert.That(IndexedAttributes.Default.Select(a => a.Tag).Distinct().Count(), Is.EqualTo(IndexedAttributes.Default.Count));
        Assert.That(IndexedAttributes.Default.Select(a => a.Tag), Is.Ordered);
    }

    // Computed by the catalog, not attributes of an instance (PS3.18 10.6.3): counts, availability and URLs.
    private static readonly string[] Computed =
        ["NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances", "NumberOfSeriesRelatedInstances", "InstanceAvailability", "RetrieveURL"];

    [TestCase("ps3.18-qido-rs-required-matching-attributes.tsv")]
    [TestCase("ps3.18-qido-rs-response-attributes.tsv")]
    public void CoversQidoAttributes(string table)
    {
        var path = Path.Combine(Corpus.RepositoryRoot, "..", "shared", "dicom-standard", table);
        if (!File.Exists(path)) Assert.Ignore($"{path} is not here");
        var keywords = File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')[3]).Distinct();
        var indexed = IndexedAttributes.Default.Select(a => a.Keyword).ToHashSet();
        Assert.That(keywords.Where(k => !indexed.Contains(k) && !Computed.Contains(k)), Is.Empty);
    }

    [Test]
    public void ParsesConfiguredAttributes()
    {
        var a = IndexedAttributes.Parse("ProtocolName Series");
        Assert.That((a.Tag, a.Keyword, a.VR, a.Level), Is.EqualTo((DicomTags.ProtocolName, "ProtocolName", VR.LO, QueryLevel.Series)));
        var b = IndexedAttributes.Parse("(0018,1030) LO Instance");
        Assert.That((b.Tag, b.VR, b.Level), Is.EqualTo((DicomTags.ProtocolName, VR.LO, QueryLevel.Image)));
        var p = IndexedAttributes.Parse("0019,xx0C@GEMS_ACQU_01 DS Series");
        Assert.That((p.Tag, p.Keyword, p.VR, p.Level), Is.EqualTo((new DicomTag(0x0019, 0x100C), "0019,xx0C@GEMS_ACQU_01", VR.DS, QueryLevel.Series)));
        Assert.That(IndexedAttributes.PrivateCreatorOf(p), Is.EqualTo("GEMS_ACQU_01"));
        Assert.That(IndexedAttributes.PrivateCreatorOf(a), Is.Null);
    }

    [TestCase("ProtocolName")]
    [TestCase("NoSuchKeyword Series")]
    [TestCase("0019,xx0C@GEMS Series")]
    [TestCase("0018,xx0C@GEMS DS Series")]
    [TestCase("PatientName PN Galaxy")]
    public void RejectsMalformedSpecs(string spec) =>
        Assert.That(() => IndexedAttributes.Parse(spec), Throws.InstanceOf<FormatException>().Or.InstanceOf<QueryException>());
}
