using System.Text.Json;
using System.Xml.Linq;
using NUnit.Framework;
using TciaPacs.Testing;

namespace TciaPacs.Server.Tests;

[TestFixture]
public sealed class DumpCommandTests
{
    [Test]
    public void Dumps_every_file_and_names_the_bad_one_with_offset_and_reason()
    {
        var good = Corpus.PathOf("transfer-syntax/explicit-vr-le/CT_small.dcm");
        var bad = Corpus.PathOf("corrupt/rtplan_truncated.dcm");
        var alsoGood = Corpus.PathOf("charset/chrFren.dcm");
        var r = Tciapacs.Run("dump", good, bad, alsoGood);

        Assert.That(r.ExitCode, Is.Not.Zero, "a file that cannot be parsed must make the exit status non-zero");
        var errors = r.StdErr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.Contain(bad).And.Contain("at byte 2100").And.Contain("(300A,012C)"));
        // The files before and after the broken one are still dumped.
        Assert.That(r.StdOut, Does.Contain("# " + good).And.Contain("# " + alsoGood));
        Assert.That(r.StdOut, Does.Contain("(0010,0010) PN [CompressedSamples^CT1]"));
        Assert.That(r.StdOut, Does.Contain("(0010,0010) PN [Buc^Jérôme]"));
    }

    [Test]
    public void Text_dump_lists_the_same_elements_as_dcmdump()
    {
        var file = Corpus.PathOf("modality/SR/comprehensive_sr.dcm");
        if (!File.Exists(file)) file = Corpus.Entries.First(e => e.Path.StartsWith("modality/SR/", StringComparison.Ordinal)).FullPath;
        var ours = Tciapacs.Run("dump", file);
        var theirs = ExternalTool.Run(ExternalTool.Require("dcmdump"), ["-q", file]);
        Assert.That(ours.ExitCode, Is.Zero, ours.StdErr);
        static IEnumerable<string> Tags(string s) => s.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('(') && !l.StartsWith("(fffe", StringComparison.Ordinal)).Select(l => l[..11]);
        Assert.That(Tags(ours.StdOut), Is.EqualTo(Tags(theirs.StdOut)));
    }

    [Test]
    public void Json_dump_is_PS3_18_json_that_pydicom_reads()
    {
        var file = Corpus.PathOf("transfer-syntax/explicit-vr-le/CT_small.dcm");
        var r = Tciapacs.Run("dump", "--json", file);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        using var doc = JsonDocument.Parse(r.StdOut);
        Assert.That(doc.RootElement.GetProperty("00100010").GetProperty("Value")[0].GetProperty("Alphabetic").GetString(), Is.EqualTo("CompressedSamples^CT1"));
        Assert.That(doc.RootElement.GetProperty("00280010").GetProperty("vr").GetString(), Is.EqualTo("US"));
        var py = ExternalTool.Run(ExternalTool.Python, ["-c", "import sys, pydicom; ds = pydicom.Dataset.from_json(sys.stdin.read()); print(ds.PatientName, ds.Rows, len(ds.PixelData))"], stdin: r.StdOut);
        Assert.That(py.ExitCode, Is.Zero, py.StdErr);
        Assert.That(py.StdOut.Trim(), Is.EqualTo("CompressedSamples^CT1 128 32768"));
    }

    [Test]
    public void Xml_dump_is_a_native_dicom_model()
    {
        var r = Tciapacs.Run("dump", "--xml", Corpus.PathOf("charset/chrH31.dcm"));
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var xml = XDocument.Parse(r.StdOut);
        XNamespace ns = "http://dicom.nema.org/PS3.19/models/NativeDICOM";
        var name = xml.Root!.Elements(ns + "DicomAttribute").Single(e => (string?)e.Attribute("tag") == "00100010");
        Assert.That(name.Descendants(ns + "Ideographic").Single().Element(ns + "FamilyName")!.Value, Is.EqualTo("山田"));
    }

    [Test]
    public void Missing_file_is_an_error_line_not_a_crash()
    {
        var r = Tciapacs.Run("dump", "/nonexistent/file.dcm");
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.StdErr, Does.StartWith("error: /nonexistent/file.dcm:"));
        Assert.That(r.StdErr, Does.Not.Contain("Unhandled exception"));
    }
}
