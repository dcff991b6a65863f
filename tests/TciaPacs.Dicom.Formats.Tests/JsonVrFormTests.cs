using System.Text;
using NUnit.Framework;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Formats.Tests;

/// <summary>The JSON form of each VR against hand-written JSON after the examples of PS3.18 F.2 and F.4.</summary>
[TestFixture]
public sealed class JsonVrFormTests
{
    private static string Json(DicomDataset ds, DicomJsonOptions? options = null) => DicomJson.Serialize(ds, options);

    [Test]
    public void PersonNameHasOneMemberPerNonEmptyComponentGroup()
    {
        // PS3.18 F.2.2 / F.4: "Yamada^Tarou=山田^太郎=やまだ^たろう".
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 192");
        ds.AddOrUpdate(DicomTags.PatientName, "Yamada^Tarou=山田^太郎=やまだ^たろう");
        ds.AddOrUpdate(DicomTags.ReferringPhysicianName, "^Bob^^Dr.\\\\Doe==ドウ");
        Assert.That(Json(ds), Is.EqualTo(
            """{"00080005":{"vr":"CS","Value":["ISO_IR 192"]},"00080090":{"vr":"PN","Value":[{"Alphabetic":"^Bob^^Dr."},null,{"Alphabetic":"Doe","Phonetic":"ドウ"}]}"""
            + ""","00100010":{"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}]}}"""));
        var back = DicomJson.Deserialize(Json(ds));
        Assert.That(back.GetStrings(DicomTags.ReferringPhysicianName), Is.EqualTo(new[] { "^Bob^^Dr.", "", "Doe==ドウ" }));
        Assert.That(back.GetString(DicomTags.PatientName), Is.EqualTo("Yamada^Tarou=山田^太郎=やまだ^たろう"));
    }

    [Test]
    public void AttributeTagsAreEightUppercaseHexDigits()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.DimensionIndexPointer, VR.AT, "00209157", "(0020,9128)", "7fe00010");
        Assert.That(Json(ds), Is.EqualTo("""{"00209165":{"vr":"AT","Value":["00209157","00209128","7FE00010"]}}"""));
        Assert.That(DicomJson.Deserialize(Json(ds)).GetStrings(DicomTags.DimensionIndexPointer), Is.EqualTo(new[] { "00209157", "00209128", "7FE00010" }));
    }

    [Test]
    public void DecimalAndIntegerStringsAreNumbersWithTheirOriginalDigits()
    {
        // PS3.18 Table F.2.3-1: DS and IS are JSON Numbers, or Strings to preserve a format JSON numbers cannot hold.
        var ds = new DicomDataset()
            .AddOrUpdate(DicomTags.PixelSpacing, "1.50", "-0.5")
            .AddOrUpdate(DicomTags.SliceThickness, "+2")
            .AddOrUpdate(DicomTags.SliceLocation, "1e3")
            .AddOrUpdate(DicomTags.InstanceNumber, "007")
            .AddOrUpdate(DicomTags.SeriesNumber, " 12 ");
        Assert.That(Json(ds), Is.EqualTo(
            """{"00180050":{"vr":"DS","Value":["+2"]},"00200011":{"vr":"IS","Value":[12]},"00200013":{"vr":"IS","Value":["007"]}"""
            + ""","00201041":{"vr":"DS","Value":[1e3]},"00280030":{"vr":"DS","Value":[1.50,-0.5]}}"""));
        var back = DicomJson.Deserialize(Json(ds));
        Assert.That(back.GetStrings(DicomTags.PixelSpacing), Is.EqualTo(new[] { "1.50", "-0.5" }));
        Assert.That(back.GetString(DicomTags.InstanceNumber), Is.EqualTo("007"));
    }

    [Test]
    public void EmptyValuesHaveNoValueAndEmptyValuesInsideAreNull()
    {
        // PS3.18 F.2.5.
        var ds = new DicomDataset()
            .AddOrUpdate(DicomTags.PatientBirthDate, VR.DA, Array.Empty<string>())
            .AddOrUpdate(DicomTags.ImageType, "ORIGINAL", "", "AXIAL")
            .Add(new DicomSequence(DicomTags.ReferencedSeriesSequence))
            .AddOrUpdate(DicomTags.Rows, VR.US, Array.Empty<byte>());
        Assert.That(Json(ds), Is.EqualTo(
            """{"00080008":{"vr":"CS","Value":["ORIGINAL",null,"AXIAL"]},"00081115":{"vr":"SQ"},"00100030":{"vr":"DA"},"00280010":{"vr":"US"}}"""));
        Assert.That(Json(ds, new DicomJsonOptions { IncludeEmptyValues = false }), Is.EqualTo("""{"00080008":{"vr":"CS","Value":["ORIGINAL",null,"AXIAL"]}}"""));
        var back = DicomJson.Deserialize(Json(ds));
        Assert.That(back.GetString(DicomTags.ImageType), Is.EqualTo("ORIGINAL\\\\AXIAL"));
        Assert.That(back.Get(DicomTags.PatientBirthDate)!.Length, Is.Zero);
        Assert.That(back.GetSequence(DicomTags.ReferencedSeriesSequence)!.Items, Is.Empty);
    }

    [Test]
    public void SequencesAreArraysOfItemObjectsAndEmptyItemsAreEmptyObjects()
    {
        var item = new DicomDataset().AddOrUpdate(DicomTags.SeriesInstanceUID, "1.2.3");
        var ds = new DicomDataset().AddOrUpdate(DicomTags.ReferencedSeriesSequence, item, new DicomDataset());
        const string expected = """{"00081115":{"vr":"SQ","Value":[{"0020000E":{"vr":"UI","Value":["1.2.3"]}},{}]}}""";
        Assert.That(Json(ds), Is.EqualTo(expected));
        var back = DicomJson.Deserialize(expected).GetSequence(DicomTags.ReferencedSeriesSequence)!;
        Assert.That(back.Items, Has.Count.EqualTo(2));
        Assert.That(back.Items[0].GetString(DicomTags.SeriesInstanceUID), Is.EqualTo("1.2.3"));
        Assert.That(back.Items[1].Count, Is.Zero);
    }

    [Test]
    public void BinaryNumbersAreJsonNumbersAndNonFiniteOrHugeOnesAreStrings()
    {
        var ds = new DicomDataset()
            .AddOrUpdate(DicomTags.Rows, VR.US, (ushort)512, (ushort)65535)
            .AddOrUpdate(new DicomTag(0x00189219), VR.SS, (short)-3)
            .AddOrUpdate(new DicomTag(0x00186020), VR.SL, -70000)
            .AddOrUpdate(new DicomTag(0x00089007), VR.UL, 4000000000u)
            .AddOrUpdate(new DicomTag(0x00189089), VR.FD, 0.1, double.NaN, double.NegativeInfinity)
            .AddOrUpdate(new DicomTag(0x00186028), VR.FL, 1.5f)
            .AddOrUpdate(new DicomTag(0x00101000), VR.UV, 9007199254740992ul, 9007199254740993ul)
            .AddOrUpdate(new DicomTag(0x00101001), VR.SV, -5L);
        var json = Json(ds);
        Assert.That(json, Does.Contain("\"00280010\":{\"vr\":\"US\",\"Value\":[512,65535]}"));
        Assert.That(json, Does.Contain("\"00189219\":{\"vr\":\"SS\",\"Value\":[-3]}"));
        Assert.That(json, Does.Contain("\"00186020\":{\"vr\":\"SL\",\"Value\":[-70000]}"));
        Assert.That(json, Does.Contain("\"00089007\":{\"vr\":\"UL\",\"Value\":[4000000000]}"));
        Assert.That(json, Does.Contain("\"00189089\":{\"vr\":\"FD\",\"Value\":[0.1,\"NaN\",\"-Infinity\"]}"));
        Assert.That(json, Does.Contain("\"00186028\":{\"vr\":\"FL\",\"Value\":[1.5]}"));
        Assert.That(json, Does.Contain("\"00101000\":{\"vr\":\"UV\",\"Value\":[9007199254740992,\"9007199254740993\"]}"));
        Assert.That(json, Does.Contain("\"00101001\":{\"vr\":\"SV\",\"Value\":[-5]}"));
        var back = DicomJson.Deserialize(json);
        Assert.That(DicomDataset.GetNumbers<ulong>(back.Get(new DicomTag(0x00101000))!), Is.EqualTo(new[] { 9007199254740992ul, 9007199254740993ul }));
        Assert.That(DicomDataset.GetNumbers<double>(back.Get(new DicomTag(0x00189089))!), Is.EqualTo(new[] { 0.1, double.NaN, double.NegativeInfinity }));
        Assert.That(back.GetStrings(DicomTags.Rows), Is.EqualTo(new[] { "512", "65535" }));
    }

    [Test]
    public void InlineBinaryIsBase64OfLittleEndianBytes()
    {
        // PS3.18 F.2.7.
        var ds = new DicomDataset()
            .AddOrUpdate(new DicomTag(0x00291010), VR.OB, new byte[] { 1, 2, 3, 4 })
            .AddOrUpdate(DicomTags.PixelData, VR.OW, (ushort)0x0201, (ushort)0x0403);
        Assert.That(Json(ds), Is.EqualTo("""{"00291010":{"vr":"OB","InlineBinary":"AQIDBA=="},"7FE00010":{"vr":"OW","InlineBinary":"AQIDBA=="}}"""));
        Assert.That(DicomJson.Deserialize(Json(ds)).GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void LongBinaryValuesBecomeBulkDataUrisWithTheirPath()
    {
        // PS3.18 F.2.6: the factory sees where the element is, so nested bulk data can be addressed too.
        var icon = new DicomDataset().AddOrUpdate(DicomTags.PixelData, VR.OB, new byte[8]);
        var ds = new DicomDataset().AddOrUpdate(DicomTags.IconImageSequence, icon).AddOrUpdate(DicomTags.PixelData, VR.OB, new byte[16]).AddOrUpdate(new DicomTag(0x00291010), VR.OB, new byte[] { 1, 2 });
        var options = new DicomJsonOptions
        {
            BulkDataThreshold = 4,
            BulkDataUriFactory = (e, path) => $"http://pacs/bulk/{string.Concat(path.Parents.Select(p => $"{p.Sequence.ToHex()}/{p.Item}/"))}{path.Tag.ToHex()}",
        };
        Assert.That(Json(ds, options), Is.EqualTo(
            """{"00291010":{"vr":"OB","InlineBinary":"AQI="},"00880200":{"vr":"SQ","Value":[{"7FE00010":{"vr":"OB","BulkDataURI":"http://pacs/bulk/00880200/0/7FE00010"}}]}"""
            + ""","7FE00010":{"vr":"OB","BulkDataURI":"http://pacs/bulk/7FE00010"}}"""));
    }

    [Test]
    public void BulkDataUrisAreKeptWhenNotResolvedAndFetchedWhenAResolverIsGiven()
    {
        const string json = """{"7FE00010":{"vr":"OW","BulkDataURI":"http://pacs/bulk/1"}}""";
        var kept = DicomJson.Deserialize(json);
        var buffer = kept.Get(DicomTags.PixelData)!.Buffer;
        Assert.That(buffer, Is.InstanceOf<BulkDataUriBuffer>());
        Assert.That(((BulkDataUriBuffer)buffer).Uri, Is.EqualTo("http://pacs/bulk/1"));
        Assert.That(() => buffer.GetBytes(), Throws.InvalidOperationException.With.Message.Contains("http://pacs/bulk/1"));
        Assert.That(DicomJson.Serialize(kept), Is.EqualTo(json));

        var fetched = DicomJson.Deserialize(json, new DicomJsonOptions { BulkDataResolver = uri => new MemoryBuffer(new byte[] { 9, 8 }) });
        Assert.That(fetched.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(new byte[] { 9, 8 }));
    }

    [Test]
    public void EncapsulatedPixelDataIsTheWholeValueFieldAndReadsBackAsFragments()
    {
        var ds = new DicomDataset().Add(new DicomFragmentSequence(DicomTags.PixelData, VR.OB, DicomBuffer.Empty, [new MemoryBuffer(new byte[] { 1, 2 })]));
        byte[] field = [0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0, 0xFE, 0xFF, 0x00, 0xE0, 2, 0, 0, 0, 1, 2, 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0];
        Assert.That(Json(ds), Is.EqualTo($$$"""{"7FE00010":{"vr":"OB","InlineBinary":"{{{Convert.ToBase64String(field)}}}"}}"""));
        var back = DicomJson.Deserialize(Json(ds)).Get(DicomTags.PixelData);
        Assert.That(back, Is.InstanceOf<DicomFragmentSequence>());
        Assert.That(((DicomFragmentSequence)back!).Fragments.Single().GetBytes().ToArray(), Is.EqualTo(new byte[] { 1, 2 }));
    }

    [Test]
    public void PrivateCreatorsAndPrivateElementsAreKept()
    {
        var ds = new DicomDataset();
        var tag = ds.GetPrivateTag(0x0009, "ACME 1.0", 0x01);
        ds.AddOrUpdate(tag, VR.LO, "secret");
        ds.AddOrUpdate(new DicomTag(0x00091102), VR.UN, new byte[] { 1, 2 });
        Assert.That(Json(ds, new DicomJsonOptions { WriteKeywords = true }), Is.EqualTo(
            """{"00090010":{"vr":"LO","Value":["ACME 1.0"]},"00091001":{"vr":"LO","Value":["secret"]},"00091102":{"vr":"UN","InlineBinary":"AQI="}}"""));
    }

    [Test]
    public void TextIsDecodedWithTheCharacterSetAndReadBackAsUtf8()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 100").AddOrUpdate(DicomTags.PatientName, "Müller^Jürgen");
        Assert.That(ds.Get(DicomTags.PatientName)!.Buffer.GetBytes().ToArray(), Does.Contain((byte)0xFC)); // Latin-1 ü
        var json = Json(ds);
        Assert.That(json, Is.EqualTo("""{"00080005":{"vr":"CS","Value":["ISO_IR 100"]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"Müller^Jürgen"}]}}"""));
        var back = DicomJson.Deserialize(json);
        Assert.That(back.GetString(DicomTags.SpecificCharacterSet), Is.EqualTo("ISO_IR 192"));
        Assert.That(back.Get(DicomTags.PatientName)!.Buffer.GetBytes().ToArray(), Is.EqualTo(Encoding.UTF8.GetBytes("Müller^Jürgen ")), "UTF-8, padded to even length");
        Assert.That(back.GetString(DicomTags.PatientName), Is.EqualTo("Müller^Jürgen"));

        // ASCII only: the declared set stays.
        Assert.That(DicomJson.Deserialize("""{"00080005":{"vr":"CS","Value":["ISO_IR 100"]},"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe"}]}}""")
            .GetString(DicomTags.SpecificCharacterSet), Is.EqualTo("ISO_IR 100"));
    }

    [Test]
    public void KeywordsAreWrittenOnlyWhenAsked()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.Modality, "CT");
        Assert.That(Json(ds), Is.EqualTo("""{"00080060":{"vr":"CS","Value":["CT"]}}"""));
        Assert.That(Json(ds, new DicomJsonOptions { WriteKeywords = true }), Is.EqualTo("""{"00080060":{"vr":"CS","keyword":"Modality","Value":["CT"]}}"""));
        Assert.That(DicomJson.Deserialize(Json(ds, new DicomJsonOptions { WriteKeywords = true })).GetString(DicomTags.Modality), Is.EqualTo("CT"));
    }

    [Test]
    public void GroupLengthsAreNotWritten()
    {
        var ds = new DicomDataset().AddOrUpdate(new DicomTag(0x00080000), VR.UL, 10u).AddOrUpdate(DicomTags.Modality, "CT");
        Assert.That(Json(ds), Is.EqualTo("""{"00080060":{"vr":"CS","Value":["CT"]}}"""));
    }

    [Test]
    public void ValueBeforeVrAndUnknownMembersAreRead()
    {
        var ds = DicomJson.Deserialize("""{ "00280010": { "Value": [ 512 ], "keyword": "Rows", "vr": "US" } }""");
        Assert.That(ds.GetInt(DicomTags.Rows), Is.EqualTo(512));
    }

    [Test]
    public void ArraysOfDataSetsRoundTripAndAsyncWritingMatches()
    {
        var a = new DicomDataset().AddOrUpdate(DicomTags.StudyInstanceUID, "1.2");
        var b = new DicomDataset().AddOrUpdate(DicomTags.StudyInstanceUID, "1.3");
        var json = DicomJson.SerializeArray([a, b]);
        Assert.That(json, Is.EqualTo("""[{"0020000D":{"vr":"UI","Value":["1.2"]}},{"0020000D":{"vr":"UI","Value":["1.3"]}}]"""));
        Assert.That(DicomJson.DeserializeArray(json).Select(d => d.GetString(DicomTags.StudyInstanceUID)), Is.EqualTo(new[] { "1.2", "1.3" }));

        using var stream = new MemoryStream();
        DicomJson.SerializeArrayAsync(stream, [a, b]).GetAwaiter().GetResult();
        Assert.That(Encoding.UTF8.GetString(stream.ToArray()), Is.EqualTo(json));
        using var single = new MemoryStream();
        DicomJson.SerializeAsync(single, a).GetAwaiter().GetResult();
        Assert.That(Encoding.UTF8.GetString(single.ToArray()), Is.EqualTo(DicomJson.Serialize(a)));
        single.Position = 0;
        Assert.That(DicomJson.Deserialize(single).GetString(DicomTags.StudyInstanceUID), Is.EqualTo("1.2"));
    }
}
