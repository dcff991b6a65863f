using NUnit.Framework;
using TciaPacs.Dicom;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// C-FIND answers in the Specific Character Set the SCU asked in when every character has a place in it (as Orthanc
/// answers), else in UTF-8: findscu's extracted responses, read byte for byte.
/// </summary>
[NonParallelizable]
public sealed class CharacterSetFindTests
{
    private static readonly string[] Names = ["Müller^Jürgen", "山田^太郎"];
    private ServerProcess _server = null!;
    private string _files = null!;

    private static string StudyUid(int i) => $"1.2.826.0.1.3680043.10.544.91.{i + 1}";

    [OneTimeSetUp]
    public void Start()
    {
        _server = new ServerProcess();
        _files = ServerProcess.TempFolder("charset");
        GeneratedStudies.StoreOneInstanceStudies(_server, _files, Names.Length, StudyUid, "CS1", (i, ds) =>
        {
            ds.AddOrUpdate(DicomTags.SpecificCharacterSet, VR.CS, "ISO_IR 192");
            ds.AddOrUpdate(DicomTags.PatientName, VR.PN, Names[i]);
            ds.AddOrUpdate(DicomTags.PatientID, VR.LO, $"CS{i}"); // a patient each: the name is the patient's
        });
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _server.Dispose();
        Directory.Delete(_files, true);
    }

    private DicomDataset Answer(int study, string? charset)
    {
        var folder = Path.Combine(_files, "rsp-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string[] keys = charset == null ? [] : ["-k", $"SpecificCharacterSet={charset}"];
        var r = Tciapacs.Dcmtk("findscu", ["-S", "-X", "-od", folder, "-aec", _server.Ae, "127.0.0.1", _server.PortText, "-k", "QueryRetrieveLevel=STUDY",
            "-k", "PatientName", "-k", $"StudyInstanceUID={StudyUid(study)}", .. keys]);
        var answers = Directory.GetFiles(folder, "rsp*.dcm");
        Assert.That(answers, Has.Length.EqualTo(1), r.StdOut + r.StdErr);
        return DicomFile.Open(answers[0]).Dataset;
    }

    private static byte[] RawName(DicomDataset answer) => answer.Get(DicomTags.PatientName)!.Buffer.GetBytes().ToArray();

    [Test]
    public void An_answer_comes_in_the_character_set_asked_for_when_it_holds_the_text()
    {
        var latin1 = Answer(0, "ISO_IR 100");
        Assert.That(latin1.GetString(DicomTags.SpecificCharacterSet), Is.EqualTo("ISO_IR 100"));
        Assert.That(RawName(latin1).AsSpan().TrimEnd((byte)' ').ToArray(), Is.EqualTo(System.Text.Encoding.Latin1.GetBytes(Names[0])));
        Assert.That(latin1.GetString(DicomTags.PatientName), Is.EqualTo(Names[0]));

        // Japanese has no place in Latin-1: the answer stays in UTF-8, and says so.
        var japanese = Answer(1, "ISO_IR 100");
        Assert.That(japanese.GetString(DicomTags.SpecificCharacterSet), Is.EqualTo("ISO_IR 192"));
        Assert.That(japanese.GetString(DicomTags.PatientName), Is.EqualTo(Names[1]));

        // In ISO 2022 with JIS X 0208 (PS3.5 H), which does hold it, it comes with its escape sequences.
        var jis = Answer(1, @"\ISO 2022 IR 87");
        Assert.That(jis.GetStrings(DicomTags.SpecificCharacterSet), Is.EqualTo(new[] { "", "ISO 2022 IR 87" }));
        Assert.That(RawName(jis), Does.Contain((byte)0x1B), "escape sequences");
        Assert.That(jis.GetString(DicomTags.PatientName), Is.EqualTo(Names[1]));

        Assert.That(Answer(0, null).GetString(DicomTags.SpecificCharacterSet), Is.EqualTo("ISO_IR 192"), "asked in nothing: UTF-8");
    }
}
