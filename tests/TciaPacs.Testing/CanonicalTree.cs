using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using TciaPacs.Dicom;

namespace TciaPacs.Testing;

/// <summary>
/// A reader-neutral view of a data set (tag, VR, value bytes hash, values as strings, items) and its comparison with the
/// same view produced by pydicom (tools/pydicom_tree.py), so disagreements name the element path.
/// </summary>
public static class CanonicalTree
{
    public static JsonArray FromDataset(DicomDataset ds, bool padOdd = false)
    {
        var array = new JsonArray();
        foreach (var e in ds)
        {
            var node = new JsonObject { ["tag"] = e.Tag.ToHex(), ["vr"] = e.VR.Name };
            switch (e)
            {
                case DicomSequence sq:
                    node["items"] = new JsonArray(sq.Items.Select(i => (JsonNode)FromDataset(i, padOdd)).ToArray());
                    break;
                case DicomFragmentSequence f:
                    var encoded = EncapsulatedBytes(f, padOdd);
                    node["sha"] = Sha(encoded);
                    node["len"] = encoded.Length;
                    break;
                default:
                    var bytes = e.Buffer.GetBytes().ToArray();
                    if (padOdd && (bytes.Length & 1) == 1) bytes = [.. bytes, e.VR.PadByte];
                    node["sha"] = Sha(bytes);
                    node["len"] = bytes.Length;
                    if (e.VR.IsString || (e.VR.Kind == VRKind.Binary && e.VR != VR.OB && e.VR != VR.OW && e.VR != VR.UN && e.VR != VR.OD && e.VR != VR.OF && e.VR != VR.OL && e.VR != VR.OV))
                    {
                        // FL as the double it widens to (as Python prints it); PN without trailing empty groups and components.
                        var values = e.VR == VR.FL
                            ? DicomDataset.GetNumbers<float>(e).Select(v => ((double)v).ToString("R", CultureInfo.InvariantCulture)).ToArray()
                            : ds.GetStrings(e).Select(s => s.Trim(' ', '\0')).ToArray();
                        if (values.All(v => v.Length == 0)) values = [];
                        node["values"] = new JsonArray(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
                    }
                    break;
            }
            array.Add(node);
        }
        return array;
    }

    /// <summary>The encapsulated value as it stands in the file: items (Basic Offset Table, fragments), without the sequence delimiter (as pydicom holds it).</summary>
    public static byte[] EncapsulatedBytes(DicomFragmentSequence f, bool padOdd = false)
    {
        var ms = new MemoryStream();
        void Item(ReadOnlySpan<byte> original)
        {
            var value = padOdd && (original.Length & 1) == 1 ? [.. original, (byte)0] : original.ToArray();
            ms.Write([0xFE, 0xFF, 0x00, 0xE0]);
            ms.Write(BitConverter.GetBytes((uint)value.Length));
            ms.Write(value);
        }
        Item(f.OffsetTable.GetBytes().Span);
        foreach (var frag in f.Fragments) Item(frag.GetBytes().Span);
        return ms.ToArray();
    }

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    /// <summary>Differences between our tree and another reader's, each as "path: what".</summary>
    /// <param name="vrMayDiffer">Implicit VR output: where VRs differ only the bytes are compared, not the values read through each VR.</param>
    public static List<string> Compare(JsonArray ours, JsonArray theirs, string path = "", bool compareBytes = true, bool skipGroupLengths = true, bool vrMayDiffer = false)
    {
        var diffs = new List<string>();
        var a = ours.Select(n => n!.AsObject()).Where(n => !skipGroupLengths || !IsGroupLength(n)).ToDictionary(n => (string)n["tag"]!);
        var b = theirs.Select(n => n!.AsObject()).Where(n => !skipGroupLengths || !IsGroupLength(n)).ToDictionary(n => (string)n["tag"]!);
        foreach (var tag in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
        {
            var p = path + "/" + tag;
            if (!a.TryGetValue(tag, out var x)) { diffs.Add($"{p}: missing here (they read VR {b[tag]["vr"]})"); continue; }
            if (!b.TryGetValue(tag, out var y)) { diffs.Add($"{p}: extra here (VR {x["vr"]})"); continue; }
            if (y["error"] is { } err) { diffs.Add($"{p}: they could not read it ({err})"); continue; }
            var vrA = (string)x["vr"]!;
            var vrB = (string)y["vr"]!;
            var unknownOnOneSide = vrA == "UN" || vrB == "UN";
            if (!VREquivalent(vrA, vrB))
            {
                if (!vrMayDiffer) diffs.Add($"{p}: VR {vrA} here, {vrB} there");
                unknownOnOneSide = true;
            }
            if (x["items"] is JsonArray itemsA && y["items"] is JsonArray itemsB)
            {
                if (itemsA.Count != itemsB.Count) diffs.Add($"{p}: {itemsA.Count} items here, {itemsB.Count} there");
                for (var i = 0; i < Math.Min(itemsA.Count, itemsB.Count); i++)
                    diffs.AddRange(Compare(itemsA[i]!.AsArray(), itemsB[i]!.AsArray(), $"{p}[{i}]", compareBytes, skipGroupLengths, vrMayDiffer));
                continue;
            }
            if ((x["items"] == null) != (y["items"] == null))
            {
                diffs.Add($"{p}: sequence on one side only (VR {vrA} here, {vrB} there)");
                continue;
            }
            if (compareBytes && y["sha"] != null && x["sha"] != null && (string)x["sha"]! != (string)y["sha"]!)
                diffs.Add($"{p}: value bytes differ ({x["len"]} bytes here, {y["len"]} there)");
            if (!unknownOnOneSide && x["values"] is JsonArray va && y["values"] is JsonArray vb && !ValuesEqual(va, vb, vrA == "PN"))
                diffs.Add($"{p}: values [{string.Join('\\', va.Select(v => (string?)v))}] here, [{string.Join('\\', vb.Select(v => (string?)v))}] there");
        }
        return diffs;
    }

    private static bool IsGroupLength(JsonObject n) => ((string)n["tag"]!).EndsWith("0000", StringComparison.Ordinal);

    private static bool VREquivalent(string a, string b) =>
        a == b || a == "UN" || b == "UN" || b.Contains(a, StringComparison.Ordinal) || a.Contains(b, StringComparison.Ordinal)
        || (a is "OB" or "OW" && b is "OB" or "OW");

    private static bool ValuesEqual(JsonArray a, JsonArray b, bool personName)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
        {
            var x = (string?)a[i] ?? "";
            var y = (string?)b[i] ?? "";
            if (personName)
            {
                x = TciaPacs.Dicom.Values.PersonName.Parse(x).ToString();
                y = TciaPacs.Dicom.Values.PersonName.Parse(y).ToString();
            }
            if (x == y) continue;
            if (double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var dx)
                && double.TryParse(y, NumberStyles.Float, CultureInfo.InvariantCulture, out var dy)
                && (dx.Equals(dy) || Math.Abs(dx - dy) <= 1e-6 * Math.Max(Math.Abs(dx), Math.Abs(dy)))) continue;
            return false;
        }
        return true;
    }
}
