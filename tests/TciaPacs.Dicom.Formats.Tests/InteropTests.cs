using System.Globalization;
using System.Text.Json;
using NUnit.Framework;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Formats.Tests;

/// <summary>
/// Our JSON against dcmtk's dcm2json (3.6.7) and read by pydicom's Dataset.from_json. A missing tool fails the test.
/// Known dcm2json differences, ignored: it rewrites (0008,0005) to ISO_IR 192; it keeps the trailing padding item
/// (FFFC,FFFC), as we do, but
/// it is not part of the data set proper, so it is not compared; it writes a PN whose components are all empty ("^^^^")
/// with no Value, where we keep the value as written (so that it round-trips); it reformats DS (e.g. "0" as 0.0) and prints FL with nine digits, so numbers
/// are compared by value (FL at single precision); bulk data is compared by presence only.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class InteropTests
{
    private static readonly string[] Files =
    [
        "transfer-syntax/explicit-vr-le/CT_small.dcm",
        "transfer-syntax/explicit-vr-le/MR_small.dcm",
        "modality/RT/rtplan.dcm",
        "charset/chrFren.dcm",
        "charset/chrX1.dcm", // dcmtk's iconv build cannot convert ISO 2022 IR 87 (chrH31), so a UTF-8 file instead
        "edge-cases/sequences/nested_priv_SQ.dcm",
    ];

    [TestCaseSource(nameof(Files))]
    public void MatchesDcm2json(string relative)
    {
        var tool = ExternalTool.Require("dcm2json");
        var result = ExternalTool.Run(tool, [Corpus.PathOf(relative)]);
        Assert.That(result.ExitCode, Is.Zero, result.StdErr);
        using var theirs = JsonDocument.Parse(result.StdOut);
        using var ours = JsonDocument.Parse(DicomJson.Serialize(DicomFile.Open(Corpus.PathOf(relative)).Dataset));
        CompareDataset(theirs.RootElement, ours.RootElement, "");
    }

    private static void CompareDataset(JsonElement theirs, JsonElement ours, string path)
    {
        var theirKeys = theirs.EnumerateObject().Select(p => p.Name).Where(k => k != "FFFCFFFC").ToList();
        Assert.That(ours.EnumerateObject().Select(p => p.Name).Where(k => k != "FFFCFFFC").ToList(), Is.EqualTo(theirKeys), $"{path}: attributes");
        foreach (var key in theirKeys)
        {
            var (t, o) = (theirs.GetProperty(key), ours.GetProperty(key));
            var where = path + key;
            var vr = t.GetProperty("vr").GetString();
            Assert.That(o.GetProperty("vr").GetString(), Is.EqualTo(vr), $"{where}: vr");
            if (key == "00080005") continue;
            var tv = t.TryGetProperty("Value", out var tValue);
            var ov = o.TryGetProperty("Value", out var oValue);
            if (!tv && vr == "PN" && ov && oValue.EnumerateArray().All(IsBlankName)) continue;
            if (!tv)
            {
                Assert.That(o.TryGetProperty("InlineBinary", out _) || o.TryGetProperty("BulkDataURI", out _), Is.EqualTo(t.TryGetProperty("InlineBinary", out _) || t.TryGetProperty("BulkDataURI", out _)), $"{where}: binary");
                Assert.That(ov, Is.False, $"{where}: Value");
                continue;
            }
            Assert.That(ov, Is.True, $"{where}: Value");
            var ta = tValue.EnumerateArray().ToList();
            var oa = oValue.EnumerateArray().ToList();
            Assert.That(oa, Has.Count.EqualTo(ta.Count), $"{where}: values");
            for (var i = 0; i < ta.Count; i++) CompareValue(vr!, ta[i], oa[i], $"{where}[{i}]");
        }
    }

    private static void CompareValue(string vr, JsonElement t, JsonElement o, string where)
    {
        if (vr == "SQ")
        {
            CompareDataset(t, o, where + ".");
            return;
        }
        if (t.ValueKind == JsonValueKind.Number || o.ValueKind == JsonValueKind.Number)
        {
            var a = double.Parse(t.ToString(), CultureInfo.InvariantCulture);
            var b = double.Parse(o.ToString(), CultureInfo.InvariantCulture);
            if (vr == "FL") Assert.That((float)b, Is.EqualTo((float)a), where);
            else Assert.That(b, Is.EqualTo(a).Within(Math.Abs(a) * 1e-12), where);
            return;
        }
        Assert.That(JsonElement.DeepEquals(t, o), Is.True, $"{where}: {t} vs {o}"); // strings, null, PN objects
    }

    private static bool IsBlankName(JsonElement pn) =>
        pn.ValueKind == JsonValueKind.Object && pn.EnumerateObject().All(g => g.Value.GetString()!.Trim('^').Length == 0);

    [TestCaseSource(nameof(Files))]
    public void PydicomReadsIt(string relative)
    {
        var python = ExternalTool.Python;
        var ds = DicomFile.Open(Corpus.PathOf(relative)).Dataset;
        const string script = """
            import sys, json, pydicom
            ds = pydicom.Dataset.from_json(sys.stdin.read())
            print(json.dumps({"count": len(ds), "uid": str(ds.get("SOPInstanceUID", "")), "name": str(ds.get("PatientName", ""))}))
            """;
        var result = ExternalTool.Run(python, ["-c", script], stdin: DicomJson.Serialize(ds));
        Assert.That(result.ExitCode, Is.Zero, result.StdErr);
        using var summary = JsonDocument.Parse(result.StdOut);
        Assert.That(summary.RootElement.GetProperty("count").GetInt32(), Is.EqualTo(ds.Count(e => !e.Tag.IsGroupLength)));
        Assert.That(summary.RootElement.GetProperty("uid").GetString(), Is.EqualTo(ds.GetString(DicomTags.SOPInstanceUID) ?? ""));
        Assert.That(summary.RootElement.GetProperty("name").GetString(), Is.EqualTo((ds.GetString(DicomTags.PatientName) ?? "").TrimEnd('=')),
            "PS3.18 F.2.2 writes only non-empty groups, so a trailing empty group (\"Wang^XiaoDong=王^小東=\") is not carried");
    }
}
