using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NUnit.Framework;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Tests;

/// <summary>
/// Every corpus file dcmtk reads, we read, and our element tree agrees with dcmtk's (tags, VRs, nesting) and with
/// pydicom's (tags, VRs, value bytes, decoded values). Disagreements we accept are listed with their reason in
/// known-differences.tsv; a listed difference that no longer occurs fails too, so the list stays true.
/// </summary>
[TestFixture]
public sealed partial class CorpusAgreementTests
{
    private Dictionary<string, JsonObject> _pydicom = null!;
    private Dictionary<(string File, string Path), string> _known = null!;

    [OneTimeSetUp]
    public void ReadWithPydicom()
    {
        _pydicom = Pydicom.ReadTrees(Corpus.Entries.Select(e => e.FullPath));
        _known = KnownDifferences.Load();
    }

    [TestCaseSource(typeof(Corpus), nameof(Corpus.AllFiles))]
    [CancelAfter(60_000)]
    public void Reads_or_rejects_clearly(string relative)
    {
        var entry = Corpus.Get(relative);
        try
        {
            var file = DicomFile.Open(entry.FullPath);
            Assert.That(file.Dataset.Count + file.Meta.Count, Is.GreaterThan(0), "read nothing");
        }
        catch (DicomParseException ex)
        {
            Assert.That(entry.DcmtkParses, Is.False, $"dcmtk reads this file but we do not: {ex.Message}");
            Assert.That(ex.Reason, Is.Not.Empty);
        }
    }

    [TestCaseSource(typeof(Corpus), nameof(Corpus.DcmtkReadable))]
    public void Agrees_with_dcmtk_on_structure(string relative)
    {
        var entry = Corpus.Get(relative);
        var dcmdump = ExternalTool.Run(ExternalTool.Require("dcmdump"), ["-q", "+L", "+E", entry.FullPath]);
        var file = DicomFile.Open(entry.FullPath);
        var ours = new StringWriter();
        DatasetDumper.Dump(file, ours);
        var theirs = Elements(dcmdump.StdOut);
        var mine = Elements(ours.ToString());
        var diffs = new List<string>();
        var n = Math.Max(theirs.Count, mine.Count);
        for (var i = 0; i < n && diffs.Count < 5; i++)
        {
            var a = i < mine.Count ? mine[i] : "(none)";
            var b = i < theirs.Count ? theirs[i] : "(none)";
            if (!SameElement(a, b)) diffs.Add($"element {i}: ours {a}, dcmdump {b}");
        }
        var unexplained = diffs.Count > 0 && !_known.ContainsKey((relative, "dcmtk")) ? diffs : [];
        Assert.That(unexplained, Is.Empty, $"{relative}: our element tree differs from dcmdump's");
    }

    // Equal, or equal but for what dcmdump knows and we do not claim to: "xs" (US or SS) and "ox" (OB or OW) left
    // unresolved, OB/OW for ambiguous elements, and VRs of private elements from dcmtk's private-tag dictionary, which we
    // (like pydicom) read as UN in implicit VR.
    private static bool SameElement(string ours, string theirs)
    {
        if (ours == theirs) return true;
        var a = ours.Split(':');
        var b = theirs.Split(':');
        if (a.Length != 3 || b.Length != 3 || a[0] != b[0] || a[1] != b[1]) return false;
        if (b[2] == "xs" && a[2] is "US" or "SS") return true;
        if (a[2] is "OB" or "OW" && b[2] is "OB" or "OW" or "ox") return true;
        var privateGroup = (Convert.ToInt32(a[1][..4], 16) & 1) == 1;
        return privateGroup && a[2] == "UN";
    }

    // depth (indent), tag and VR of each data element line; item and delimiter lines and group lengths are left out.
    private static List<string> Elements(string dump) =>
        ElementLine().Matches(dump).Select(m => (Indent: m.Groups[1].Value.Length, Tag: m.Groups[2].Value, VR: m.Groups[4].Value))
            .Where(x => !x.Tag.StartsWith("fffe", StringComparison.Ordinal) && !x.Tag.EndsWith(",0000", StringComparison.Ordinal))
            .Select(x => $"{x.Indent / 2}:{x.Tag}:{DcmtkVR(x.VR)}").ToList();

    // dcmdump's own pseudo-VRs: "up" is a UL offset pointer, "??" an element it holds as unknown bytes (our UN).
    private static string DcmtkVR(string vr) => vr switch { "up" => "UL", "??" => "UN", _ => vr };

    [GeneratedRegex(@"^( *)\(([0-9a-f]{4},([0-9a-f]{4}))\) ([A-Za-z?]{2}) ", RegexOptions.Multiline)]
    private static partial Regex ElementLine();

    [TestCaseSource(typeof(Corpus), nameof(Corpus.AllFiles))]
    public void Agrees_with_pydicom_on_elements_and_values(string relative)
    {
        var entry = Corpus.Get(relative);
        DicomFile file;
        try { file = DicomFile.Open(entry.FullPath); }
        catch (DicomParseException) { Assert.Pass("we reject this file (see Reads_or_rejects_clearly)"); return; }
        var theirs = _pydicom[entry.FullPath];
        if (theirs["error"] is { } error)
        {
            Assert.That(_known.ContainsKey((relative, "*")), $"pydicom cannot read a file we read ({error}); list it in known-differences.tsv with the reason");
            return;
        }
        var diffs = CanonicalTree.Compare(CanonicalTree.FromDataset(file.Dataset), theirs["dataset"]!.AsArray());
        diffs.AddRange(CanonicalTree.Compare(CanonicalTree.FromDataset(file.Meta), theirs["meta"]!.AsArray(), "meta"));
        var unexplained = diffs.Where(d => !_known.ContainsKey((relative, d.Split(':')[0])) && !_known.ContainsKey((relative, "*"))).ToList();
        Assert.That(unexplained, Is.Empty, $"{relative}: differences from pydicom not in known-differences.tsv");
    }
}
