using NUnit.Framework;
using TciaPacs.Dicom.Formats.Xml;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Formats.Tests;

/// <summary>The Native DICOM Model form (PS3.19 A.1) against a hand-written document.</summary>
[TestFixture]
public sealed class XmlFormTests
{
    [Test]
    public void WritesTheNativeDicomModel()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 192");
        ds.AddOrUpdate(DicomTags.ImageType, "ORIGINAL", "", "AXIAL");
        ds.AddOrUpdate(DicomTags.ReferencedSeriesSequence, new DicomDataset().AddOrUpdate(DicomTags.SeriesInstanceUID, "1.2"));
        ds.AddOrUpdate(DicomTags.PatientName, "Yamada^Tarou=山田^太郎");
        var creator = ds.GetPrivateTag(0x0029, "ACME", 0x10);
        ds.AddOrUpdate(creator, VR.OB, new byte[] { 1, 2 });
        ds.AddOrUpdate(DicomTags.PixelData, VR.OB, new byte[8]);
        var xml = DicomXml.Serialize(ds, new DicomXmlOptions { Indented = false, BulkDataThreshold = 8, BulkDataUriFactory = (e, p) => "http://pacs/bulk/" + p.Tag.ToHex() });
        const string expected = """<?xml version="1.0" encoding="utf-8"?>"""
            + """<NativeDicomModel xml:space="preserve" xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">"""
            + """<DicomAttribute tag="00080005" vr="CS" keyword="SpecificCharacterSet"><Value number="1">ISO_IR 192</Value></DicomAttribute>"""
            + """<DicomAttribute tag="00080008" vr="CS" keyword="ImageType"><Value number="1">ORIGINAL</Value><Value number="2" /><Value number="3">AXIAL</Value></DicomAttribute>"""
            + """<DicomAttribute tag="00081115" vr="SQ" keyword="ReferencedSeriesSequence"><Item number="1"><DicomAttribute tag="0020000E" vr="UI" keyword="SeriesInstanceUID"><Value number="1">1.2</Value></DicomAttribute></Item></DicomAttribute>"""
            + """<DicomAttribute tag="00100010" vr="PN" keyword="PatientName"><PersonName number="1"><Alphabetic><FamilyName>Yamada</FamilyName><GivenName>Tarou</GivenName></Alphabetic><Ideographic><FamilyName>山田</FamilyName><GivenName>太郎</GivenName></Ideographic></PersonName></DicomAttribute>"""
            + """<DicomAttribute tag="00290010" vr="LO"><Value number="1">ACME</Value></DicomAttribute>"""
            + """<DicomAttribute tag="00291010" vr="OB" privateCreator="ACME"><InlineBinary>AQI=</InlineBinary></DicomAttribute>"""
            + """<DicomAttribute tag="7FE00010" vr="OB" keyword="PixelData"><BulkData uri="http://pacs/bulk/7FE00010" /></DicomAttribute>"""
            + """</NativeDicomModel>""";
        Assert.That(xml, Is.EqualTo(expected));

        var back = DicomXml.Deserialize(xml);
        Assert.That(back.GetString(DicomTags.ImageType), Is.EqualTo("ORIGINAL\\\\AXIAL"));
        Assert.That(back.GetString(DicomTags.PatientName), Is.EqualTo("Yamada^Tarou=山田^太郎"));
        Assert.That(back.GetPrivateCreator(new DicomTag(0x00291010)), Is.EqualTo("ACME"));
        Assert.That(((BulkDataUriBuffer)back.Get(DicomTags.PixelData)!.Buffer).Uri, Is.EqualTo("http://pacs/bulk/7FE00010"));
        Assert.That(back.GetSequence(DicomTags.ReferencedSeriesSequence)!.Items[0].GetString(DicomTags.SeriesInstanceUID), Is.EqualTo("1.2"));
    }

    [Test]
    public void PersonNamesKeepEmptyComponentsAndGroups()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 192").AddOrUpdate(DicomTags.PatientName, "Doe^", "^^^Dr.=", "==ドウ");
        var back = DicomXml.Deserialize(DicomXml.Serialize(ds));
        Assert.That(back.GetStrings(DicomTags.PatientName), Is.EqualTo(new[] { "Doe^", "^^^Dr.=", "==ドウ" }));
    }

    [Test]
    public void ControlCharactersAndCarriageReturnsSurvive()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.ImageComments, "line 1\r\nline 2\u001b  ");
        var back = DicomXml.Deserialize(DicomXml.Serialize(ds));
        Assert.That(back.GetString(DicomTags.ImageComments), Is.EqualTo("line 1\r\nline 2\u001b"));
    }

    [Test]
    public void PrivateElementsMoveToTheirCreatorsBlock()
    {
        // The document says the element belongs to "ACME" but the block 10 of group 0029 is "OTHER": it moves to ACME's block.
        const string xml = """
            <NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">
              <DicomAttribute tag="00290010" vr="LO"><Value number="1">OTHER</Value></DicomAttribute>
              <DicomAttribute tag="00291001" vr="LO" privateCreator="ACME"><Value number="1">x</Value></DicomAttribute>
            </NativeDicomModel>
            """;
        var ds = DicomXml.Deserialize(xml);
        Assert.That(ds.GetString(new DicomTag(0x00290011)), Is.EqualTo("ACME"));
        Assert.That(ds.GetString(new DicomTag(0x00291101)), Is.EqualTo("x"));
    }

    [Test]
    public void BulkDataIsResolvedWhenAResolverIsGiven()
    {
        const string xml = """<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM"><DicomAttribute tag="7FE00010" vr="OB"><BulkData uri="u"/></DicomAttribute></NativeDicomModel>""";
        var ds = DicomXml.Deserialize(xml, new DicomXmlOptions { BulkDataResolver = _ => new MemoryBuffer(new byte[] { 7, 7 }) });
        Assert.That(ds.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(new byte[] { 7, 7 }));
    }
}
