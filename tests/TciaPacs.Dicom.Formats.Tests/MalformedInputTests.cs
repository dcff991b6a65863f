using NUnit.Framework;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.Formats.Xml;

namespace TciaPacs.Dicom.Formats.Tests;

/// <summary>Bad documents give a <see cref="DicomFormatException"/> (a FormatException) naming the element and the reason.</summary>
[TestFixture]
public sealed class MalformedInputTests
{
    [TestCase("not json", "", "malformed JSON")]
    [TestCase("""[1]""", "", "expected a JSON object")]
    [TestCase("""{"0010001":{"vr":"PN"}}""", "", "'0010001' is not a tag")]
    [TestCase("""{"00100010":{"Value":[{"Alphabetic":"Doe"}]}}""", "(0010,0010)", "no \"vr\"")]
    [TestCase("""{"00100010":{"vr":"XX"}}""", "(0010,0010)", "\"XX\", not a VR")]
    [TestCase("""{"00280010":{"vr":"US","Value":["abc"]}}""", "(0028,0010)", "'abc' is not an integer")]
    [TestCase("""{"00280010":{"vr":"US","Value":[70000]}}""", "(0028,0010)", "'70000' is not an integer from 0 to 65535")]
    [TestCase("""{"00280010":{"vr":"US","Value":[null]}}""", "(0028,0010)", "empty (null)")]
    [TestCase("""{"00209165":{"vr":"AT","Value":["0020"]}}""", "(0020,9165)", "'0020' is not a tag")]
    [TestCase("""{"00100010":{"vr":"PN","Value":"Doe"}}""", "(0010,0010)", "must be an array")]
    [TestCase("""{"00100010":{"vr":"PN","Value":[true]}}""", "(0010,0010)", "a boolean")]
    [TestCase("""{"7FE00010":{"vr":"OB","InlineBinary":"***"}}""", "(7FE0,0010)", "not valid base64")]
    [TestCase("""{"7FE00010":{"vr":"OB","InlineBinary":"AA==","BulkDataURI":"x"}}""", "(7FE0,0010)", "at most one")]
    [TestCase("""{"7FE00010":{"vr":"OB","Value":[1]}}""", "(7FE0,0010)", "InlineBinary or BulkDataURI")]
    [TestCase("""{"00081115":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":[{}]}}]}}""", "(0008,1115)[0].(0008,1150)", "an object")]
    [TestCase("""{"00081115":{"vr":"SQ","Value":[{},{"00081155":{"vr":"UI","Value":["1"]""", "(0008,1115)[1].(0008,1155)", "malformed JSON")]
    [TestCase("""{"00100010":{"vr":"PN"}} {}""", "", "after the data set")]
    public void JsonErrorsNameThePathAndTheReason(string json, string path, string reason)
    {
        var ex = Assert.Throws<DicomFormatException>(() => DicomJson.Deserialize(json))!;
        Assert.That(ex, Is.InstanceOf<FormatException>());
        Assert.That(ex.Path, Does.StartWith(path));
        Assert.That(ex.Reason, Does.Contain(reason));
        Assert.That(ex.Message, Does.Contain(path));
    }

    private const string Ns = "xmlns=\"http://dicom.nema.org/PS3.19/models/NativeDICOM\"";

    [TestCase("<NativeDicomModel", "", "malformed XML")]
    [TestCase("<Other/>", "", "not <NativeDicomModel>")]
    [TestCase($"""<NativeDicomModel {Ns}><DicomAttribute tag="0010001" vr="PN"/></NativeDicomModel>""", "", "is not 8 hexadecimal digits")]
    [TestCase($"""<NativeDicomModel {Ns}><DicomAttribute tag="00280010" vr="US"><Value number="1">x</Value></DicomAttribute></NativeDicomModel>""", "(0028,0010)", "'x' is not an integer")]
    [TestCase($"""<NativeDicomModel {Ns}><DicomAttribute tag="00280010" vr="ZZ"/></NativeDicomModel>""", "(0028,0010)", "not a VR")]
    [TestCase($"""<NativeDicomModel {Ns}><DicomAttribute tag="00280010" vr="US"><Value number="0">1</Value></DicomAttribute></NativeDicomModel>""", "(0028,0010)", "not a positive integer")]
    [TestCase($"""<NativeDicomModel {Ns}><DicomAttribute tag="7FE00010" vr="OB"><InlineBinary>***</InlineBinary></DicomAttribute></NativeDicomModel>""", "(7FE0,0010)", "not valid base64")]
    [TestCase($"""<NativeDicomModel {Ns}><DicomAttribute tag="00081115" vr="SQ"><Item number="1"><DicomAttribute tag="00081150" vr="UI"><Item number="1"/></DicomAttribute></Item></DicomAttribute></NativeDicomModel>""", "(0008,1115)[0].(0008,1150)", "belong to SQ")]
    [TestCase($"""<NativeDicomModel {Ns}><DicomAttribute tag="00100010" vr="PN"><PersonName number="1"><Alphabetic><Surname>x</Surname></Alphabetic></PersonName></DicomAttribute></NativeDicomModel>""", "(0010,0010)", "unexpected <Surname>")]
    [TestCase("""<!DOCTYPE x [<!ENTITY a "b">]><NativeDicomModel/>""", "", "malformed XML")]
    public void XmlErrorsNameThePathAndTheReason(string xml, string path, string reason)
    {
        var ex = Assert.Throws<DicomFormatException>(() => DicomXml.Deserialize(xml))!;
        Assert.That(ex.Path, Does.StartWith(path));
        Assert.That(ex.Reason, Does.Contain(reason));
    }
}
