using TciaPacs.Dicom;

namespace TciaPacs.Deidentification;

/// <summary>
/// The identifiers of an instance as it arrived, taken before de-identification so that the cleaner can strip them from
/// free text and the PHI scanner can look for them wherever they reappear. Held in memory only; never logged.
/// </summary>
public sealed record OriginalIdentifiers
{
    public IReadOnlyList<string> NameParts { get; init; } = [];
    public IReadOnlyList<string> Ids { get; init; } = [];
    public string? BirthDate { get; init; }
    public string? AccessionNumber { get; init; }

    public bool IsEmpty => NameParts.Count == 0 && Ids.Count == 0 && BirthDate == null && AccessionNumber == null;

    public static readonly OriginalIdentifiers None = new();

    public static OriginalIdentifiers From(DicomDataset ds)
    {
        var names = new List<string>();
        foreach (var tag in new[] { DicomTags.PatientName, DicomTags.OtherPatientNames, DicomTags.PatientBirthName, DicomTags.PatientMotherBirthName })
            foreach (var pn in SafeStrings(ds, tag))
                foreach (var part in pn.Split(['^', '=', ' ', ',', '\\'], StringSplitOptions.RemoveEmptyEntries))
                    if (part.Length >= 3 && !Placeholder(part) && !names.Contains(part, StringComparer.OrdinalIgnoreCase)) names.Add(part);
        var ids = new List<string>();
        foreach (var tag in new[] { DicomTags.PatientID, DicomTags.OtherPatientIDs, DicomTags.MedicalRecordLocator })
            foreach (var id in SafeStrings(ds, tag))
                if (id.Trim().Length >= 3 && !ids.Contains(id.Trim())) ids.Add(id.Trim());
        if (ds.GetSequence(DicomTags.OtherPatientIDsSequence) is { } other)
            foreach (var item in other.Items)
                if (SafeStrings(item, DicomTags.PatientID) is [{ Length: >= 3 } id, ..] && !ids.Contains(id)) ids.Add(id);
        var birth = SafeStrings(ds, DicomTags.PatientBirthDate) is [{ Length: 8 } b, ..] ? b : null;
        var accession = SafeStrings(ds, DicomTags.AccessionNumber) is [{ Length: >= 3 } a, ..] ? a.Trim() : null;
        return new OriginalIdentifiers { NameParts = names, Ids = ids, BirthDate = birth, AccessionNumber = accession };
    }

    // Words test and anonymised data use as names; they identify nobody and are common in descriptions.
    private static readonly HashSet<string> Placeholders = new(StringComparer.OrdinalIgnoreCase)
    {
        "test", "patient", "anonymous", "anonymized", "anonymised", "anon", "last", "first", "name", "phantom", "unknown",
        "demo", "sample", "none", "doe", "john", "jane", "subject", "case", "volunteer",
    };

    private static bool Placeholder(string part) => Placeholders.Contains(part) || part.All(c => c == part[0]);

    private static string[] SafeStrings(DicomDataset ds, DicomTag tag)
    {
        try { return ds.GetStrings(tag); }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException) { return []; }
    }

    /// <summary>Every literal to look for: name parts, IDs, the accession number, the birth date in its usual spellings.</summary>
    public IEnumerable<(string Value, string Kind)> Literals()
    {
        foreach (var n in NameParts) yield return (n, "patient name");
        foreach (var i in Ids) yield return (i, "patient ID");
        if (AccessionNumber != null) yield return (AccessionNumber, "accession number");
        if (BirthDate is { Length: 8 } b)
        {
            yield return (b, "birth date");
            yield return ($"{b[..4]}-{b[4..6]}-{b[6..]}", "birth date");
            yield return ($"{b[4..6]}/{b[6..]}/{b[..4]}", "birth date");
            yield return ($"{b[6..]}/{b[4..6]}/{b[..4]}", "birth date");
            yield return ($"{b[6..]}.{b[4..6]}.{b[..4]}", "birth date");
        }
    }
}
