using System.Globalization;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Deidentification;

/// <summary>The value-level edits: dummy and empty values consistent with the VR (PS3.15 E.1.1 D and Z), date shifts, UID replacement.</summary>
internal static class ValueEdits
{
    public const string DummyText = "ANONYMIZED";

    public static DicomElement Empty(DicomElement e) =>
        e is DicomSequence ? new DicomSequence(e.Tag) : new DicomElement(e.Tag, e.VR, new MemoryBuffer(Array.Empty<byte>()));

    /// <summary>A dummy value of the element's VR: text that says what it is, the epoch for dates, zeros for numbers and bytes (same length, so the VM stays right).</summary>
    public static void SetDummy(DicomDataset ds, DicomElement e)
    {
        var vr = ds.ValueVR(e);
        string? text = vr.Name switch
        {
            "DA" => "19000101",
            "DT" => "19000101000000",
            "TM" => "000000",
            "AS" => "000D",
            "DS" or "IS" => "0",
            "UR" => "",
            "AE" or "CS" or "LO" or "SH" or "LT" or "ST" or "UT" or "UC" or "PN" => DummyText,
            _ => null,
        };
        if (text != null)
        {
            SetText(ds, e, text);
            return;
        }
        ds.Add(new DicomElement(e.Tag, e.VR, new MemoryBuffer(new byte[e.Buffer.Length])));
    }

    /// <summary>Each DA value (and the date of each DT value; ranges on both sides) moved back by <paramref name="days"/>; TM is left alone (whole days).</summary>
    public static void ShiftDates(DicomDataset ds, DicomElement e, int days)
    {
        var vr = ds.ValueVR(e);
        if (vr != VR.DA && vr != VR.DT) return;
        if (e.Buffer.Length == 0) return;
        var values = ds.GetStrings(e);
        var shifted = values.Select(v => string.Join('-', v.Split('-').Select(part => ShiftOne(part, vr, days)))).ToArray();
        SetText(ds, e, shifted);
    }

    private static string ShiftOne(string value, VR vr, int days)
    {
        var v = value.Trim();
        if (v.Length < 8) return v.Length == 0 ? "" : (vr == VR.DA ? "" : v);
        if (!DateOnly.TryParseExact(v[..8], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            return ""; // not a date we can shift: better empty than the original
        return d.AddDays(-days).ToString("yyyyMMdd", CultureInfo.InvariantCulture) + v[8..];
    }

    /// <summary>Sets text values; an element read as UN (its VR unknown to the sender) keeps VR UN with the text's bytes.</summary>
    public static void SetText(DicomDataset ds, DicomElement e, params string[] values)
    {
        if (e.VR != VR.UN) { ds.AddOrUpdate(e.Tag, e.VR, values); return; }
        ds.AddOrUpdate(e.Tag, VR.UN, DicomDataset.PadEven(System.Text.Encoding.ASCII.GetBytes(string.Join('\\', values)), (byte)' '));
    }

    /// <summary>Each UID value replaced by its keyed hash (empty values stay empty).</summary>
    public static void ReplaceUids(DicomDataset ds, DicomElement e, KeyedHash hash, Action<string, string> record)
    {
        var values = ds.GetStrings(e);
        var replaced = new string[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i].Length == 0) { replaced[i] = ""; continue; }
            replaced[i] = hash.Uid(values[i]);
            record(values[i], replaced[i]);
        }
        if (e.VR == VR.UN) ds.AddOrUpdate(e.Tag, VR.UN, DicomDataset.PadEven(System.Text.Encoding.ASCII.GetBytes(string.Join('\\', replaced)), 0));
        else ds.AddOrUpdate(e.Tag, e.VR, replaced);
    }

    /// <summary>The longest value the VR allows (PS3.5 Table 6.2-1), for hashed text.</summary>
    public static int MaxLength(VR vr) => vr.Name switch
    {
        "AE" or "CS" or "SH" => 16,
        "LO" or "PN" => 64,
        "AS" => 4,
        "DA" => 8,
        _ => 64,
    };
}
