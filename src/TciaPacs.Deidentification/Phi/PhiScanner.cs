using System.Text.RegularExpressions;
using TciaPacs.Dicom;

namespace TciaPacs.Deidentification.Phi;

/// <summary>
/// Looks for identifiers left in a (de-identified) data set; it only judges, it never edits (STYLE lesson 6). Every text
/// value is read (PN, LO, SH, ST, LT, UT, UC, AE, DA, DT, AS, CS), in sequences at any depth and in private elements
/// (a private UN/OB value that is printable text is read as text), for: the original's own identifiers wherever they
/// reappear, dates, phone/SSN/e-mail/MRN-like patterns and person names in free text; and for the risk of identifiers
/// burned into the pixels (Burned In Annotation YES, SCREEN SAVE, secondary capture, overlays).
/// </summary>
public static class PhiScanner
{
    private static readonly HashSet<string> FreeText = ["LO", "SH", "ST", "LT", "UT", "UC"];

    // Values the de-identifier itself writes, never a finding.
    private static readonly HashSet<string> Harmless = [ValueEdits.DummyText, "YES", "NO", "REMOVED", "MODIFIED", "UNMODIFIED", "19000101", "19000101000000", "000000"];

    public static IReadOnlyList<PhiFinding> Scan(DicomDataset ds, OriginalIdentifiers? original = null, string? pseudonym = null)
    {
        var findings = new List<PhiFinding>();
        Walk(ds, "", original ?? OriginalIdentifiers.None, pseudonym, findings);
        BurnedIn(ds, findings);
        return findings;
    }

    private static void Walk(DicomDataset ds, string path, OriginalIdentifiers original, string? pseudonym, List<PhiFinding> findings)
    {
        foreach (var e in ds)
        {
            var p = path + e.Tag;
            if (e is DicomSequence sq)
            {
                for (var i = 0; i < sq.Items.Count; i++) Walk(sq.Items[i], $"{p}[{i}].", original, pseudonym, findings);
                continue;
            }
            if (e is DicomFragmentSequence || e.IsBulkData || e.Tag.IsGroupLength) continue;
            if (e.Tag == DicomTags.DeidentificationMethod || e.Tag.IsPrivateCreator) continue;
            string vrName;
            string text;
            try
            {
                var vr = ds.ValueVR(e);
                vrName = vr.Name;
                if (vr.IsString && vr != VR.UI && vr != VR.UR) text = ds.GetString(e);
                else if ((vr == VR.UN || vr == VR.OB) && e.Tag.IsPrivate && e.Buffer.Length is > 0 and < 4096 && Printable(e.Buffer.GetBytes().Span, out var s)) { text = s; vrName = "UN"; }
                else continue;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                continue;
            }
            if (text.Length == 0 || Harmless.Contains(text.Trim())) continue;
            Check(e.Tag, vrName, text, p, original, pseudonym, findings);
        }
    }


    private static void Check(DicomTag tag, string vr, string text, string p, OriginalIdentifiers original, string? pseudonym, List<PhiFinding> findings)
    {
        var kinds = new HashSet<string>();
        // Coded and structured values (CS, AE, DA, DT, AS) are checked for the original's IDs and dates as whole values
        // only: a name part such as "Chest" matched inside a code would be a false alarm.
        var coded = !FreeText.Contains(vr) && vr is not ("PN" or "UN");
        foreach (var (value, kind) in original.Literals())
        {
            if (value.Length < 3 || kinds.Contains(kind)) continue;
            if (coded && (kind == "patient name" || !text.Split('\\').Any(v => string.Equals(v.Trim(), value, StringComparison.OrdinalIgnoreCase)))) continue;
            if (pseudonym != null && pseudonym.Contains(value, StringComparison.OrdinalIgnoreCase)) continue;
            if (ContainsWord(text, value))
            {
                kinds.Add(kind);
                findings.Add(new(p, "residual-identifier", PhiSeverity.High, $"the original's {kind} appears in this {vr} value"));
            }
        }
        if (vr == "PN")
        {
            if (pseudonym == null || !string.Equals(text.Trim(), pseudonym, StringComparison.OrdinalIgnoreCase))
                if (tag != DicomTags.PatientName || pseudonym == null)
                    findings.Add(new(p, "person-name", PhiSeverity.Medium, "a person name value is present"));
            return;
        }
        if (vr == "AS")
        {
            // HIPAA Safe Harbor: ages over 89 are identifying.
            if (text.Length == 4 && text[3] == 'Y' && int.TryParse(text[..3], out var years) && years > 89)
                findings.Add(new(p, "age-over-89", PhiSeverity.Low, "an age over 89 years"));
            return;
        }
        if (!FreeText.Contains(vr) && vr != "UN") return;
        if (PhiPatterns.Ssn().IsMatch(text)) findings.Add(new(p, "ssn", PhiSeverity.High, "a social security number pattern"));
        if (PhiPatterns.Email().IsMatch(text)) findings.Add(new(p, "email", PhiSeverity.High, "an e-mail address"));
        if (PhiPatterns.Phone().IsMatch(text)) findings.Add(new(p, "phone", PhiSeverity.Medium, "a telephone number pattern"));
        if (PhiPatterns.MrnLabelled().IsMatch(text)) findings.Add(new(p, "mrn", PhiSeverity.High, "a labelled medical record number"));
        else if (vr is "ST" or "LT" or "UT" && PhiPatterns.LongDigitRun().IsMatch(text)) findings.Add(new(p, "mrn", PhiSeverity.Low, "a long number in free text (MRN-like)"));
        // Dates in descriptions and free text; not in short strings (SH: codes, versions) nor in Software Versions.
        if (vr != "SH" && tag != DicomTags.SoftwareVersions && PhiPatterns.DateInText().IsMatch(text)) findings.Add(new(p, "date-in-text", PhiSeverity.Medium, "a date in free text"));
        if (PhiPatterns.StreetAddress().IsMatch(text)) findings.Add(new(p, "address", PhiSeverity.Medium, "a street address"));
        if (PhiPatterns.HonorificName().IsMatch(text) || (vr != "UN" && PhiPatterns.DicomPersonName().IsMatch(text)))
            findings.Add(new(p, "name-in-text", PhiSeverity.Medium, "a person name in a description"));
    }

    private static bool ContainsWord(string text, string value) =>
        Regex.IsMatch(text, $@"(?<![A-Za-z0-9]){Regex.Escape(value)}(?![A-Za-z0-9])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private static void BurnedIn(DicomDataset ds, List<PhiFinding> findings)
    {
        if (string.Equals(ds.GetString(DicomTags.BurnedInAnnotation)?.Trim(), "YES", StringComparison.OrdinalIgnoreCase))
            findings.Add(new(DicomTags.BurnedInAnnotation.ToString(), "burned-in-annotation", PhiSeverity.High, "Burned In Annotation is YES: identifiers may be in the pixels"));
        if (ds.GetStrings(DicomTags.ImageType).Any(v => v.Contains("SCREEN SAVE", StringComparison.OrdinalIgnoreCase)))
            findings.Add(new(DicomTags.ImageType.ToString(), "screen-save", PhiSeverity.Medium, "a screen capture (ImageType SCREEN SAVE)"));
        var sopClass = ds.GetString(DicomTags.SOPClassUID) ?? "";
        if (sopClass.StartsWith("1.2.840.10008.5.1.4.1.1.7", StringComparison.Ordinal))
            findings.Add(new(DicomTags.SOPClassUID.ToString(), "secondary-capture", PhiSeverity.Medium, "a secondary capture, which often carries text in its pixels"));
        foreach (var e in ds)
            if ((e.Tag.Group & 0xFF01) == 0x6000 && e.Tag.Element == 0x3000)
                findings.Add(new(e.Tag.ToString(), "overlay", PhiSeverity.Medium, "overlay data, which may hold text"));
    }

    private static bool Printable(ReadOnlySpan<byte> bytes, out string text)
    {
        var n = bytes.Length;
        while (n > 0 && (bytes[n - 1] == 0 || bytes[n - 1] == (byte)' ')) n--;
        text = "";
        if (n < 3) return false;
        foreach (var b in bytes[..n])
            if (b < 0x20 || b > 0x7E) return false;
        text = System.Text.Encoding.ASCII.GetString(bytes[..n]);
        return true;
    }
}
