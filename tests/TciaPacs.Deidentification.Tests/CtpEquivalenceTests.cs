using System.Text;
using NUnit.Framework;
using TciaPacs.Deidentification.Ctp;
using TciaPacs.Deidentification.Profile;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Deidentification.Tests;

/// <summary>
/// The basic profile written as a CTP script (one rule per row of E.1-1, as a site would) and imported gives the same
/// result as the native profile: the same attributes kept, removed and emptied at every depth. Values differ by design
/// (CTP's unkeyed MD5 hashes, the native keyed ones and pseudonyms).
/// </summary>
public sealed class CtpEquivalenceTests
{
    private static string BasicProfileAsScript()
    {
        var sb = new StringBuilder("<script>\n<p t=\"UIDROOT\">1.2.3</p>\n");
        foreach (var row in ConfidentialityProfile.Rows.Where(r => r.Mask == 0xFFFFFFFF))
        {
            var tag = new DicomTag(row.Tag);
            if (tag == DicomTags.PatientID || tag == DicomTags.PatientName) { sb.Append($"<e en=\"T\" t=\"{tag.ToHex()}\">@hash(this,10)</e>\n"); continue; }
            var action = row.Basic.Effective();
            if (tag == DicomTags.ReferencedStudySequence) action = ProfileAction.Remove;
            var script = action switch
            {
                ProfileAction.Remove => "@remove()",
                ProfileAction.Zero => "@empty()",
                ProfileAction.ReplaceUid => "@hashuid(@UIDROOT,this)",
                ProfileAction.Keep => "@keep()",
                _ => "ANONYMIZED",
            };
            sb.Append($"<e en=\"T\" t=\"{tag.ToHex()}\">{script}</e>\n");
        }
        sb.Append("<r en=\"T\" t=\"privategroups\"/><r en=\"T\" t=\"curves\"/><r en=\"T\" t=\"overlays\"/>\n</script>");
        return sb.ToString();
    }

    private static IEnumerable<TestCaseData> Inputs()
    {
        yield return new TestCaseData("phi-laden image").SetArgDisplayNames("phi-laden image");
        yield return new TestCaseData("phi-laden report").SetArgDisplayNames("phi-laden report");
        foreach (var c in Corpus.Readable().Where((_, i) => i % 10 == 0)) yield return c;
    }

    [TestCaseSource(nameof(Inputs))]
    public void The_profile_as_a_CTP_script_keeps_removes_and_empties_what_the_native_profile_does(string input)
    {
        var ds = input switch
        {
            "phi-laden image" => PhiLaden.Image(1, 1, 0, new PhiLaden.Options(Overlay: true)),
            "phi-laden report" => PhiLaden.Report(1, 1),
            _ => DicomFile.Open(Corpus.PathOf(input), DicomReadOptions.HeaderOnly).Dataset,
        };
        var ctp = new CtpAnonymizer(CtpScript.Parse(BasicProfileAsScript())).Deidentify(ds).Dataset;
        var native = DeidentifierTests.Basic().Deidentify(ds).Dataset;
        Assert.That(Shape(ctp, ""), Is.EquivalentTo(Shape(native, "")));
    }

    // Every tag path with "empty" or "value"; provenance (which the native profile adds) left out.
    private static List<string> Shape(DicomDataset ds, string path)
    {
        var shape = new List<string>();
        foreach (var e in ds)
        {
            if (path.Length == 0 && (e.Tag == DicomTags.PatientIdentityRemoved || e.Tag == DicomTags.DeidentificationMethod
                || e.Tag == DicomTags.DeidentificationMethodCodeSequence || e.Tag == DicomTags.LongitudinalTemporalInformationModified)) continue;
            if (e.Tag.IsGroupLength) continue;
            var p = path + e.Tag;
            if (e is DicomSequence sq)
            {
                shape.Add($"{p} {sq.Items.Count} items");
                for (var i = 0; i < sq.Items.Count; i++) shape.AddRange(Shape(sq.Items[i], $"{p}[{i}]."));
            }
            else shape.Add($"{p} {(e.Buffer.Length == 0 ? "empty" : "value")}");
        }
        return shape;
    }
}
