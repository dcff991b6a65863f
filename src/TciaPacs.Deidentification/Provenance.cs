using TciaPacs.Deidentification.Profile;
using TciaPacs.Dicom;

namespace TciaPacs.Deidentification;

/// <summary>
/// What PS3.15 E.1.1 asks a de-identifier to add: Patient Identity Removed (0012,0062) = YES, De-identification
/// Method (0012,0063) and its Code Sequence (0012,0064) with the CID 7050 code of the profile and of each option, and
/// Longitudinal Temporal Information Modified (0028,0303) (PS3.3 C.7.1.1).
/// </summary>
public static class Provenance
{
    public static void Apply(DicomDataset ds, ProfileOption options, string method)
    {
        ds.AddOrUpdate(DicomTags.PatientIdentityRemoved, "YES");
        // LO is at most 64 characters a value: one value per clause.
        var clauses = new List<string> { Truncate(method), $"PS3.15 E.1-1 ({ConfidentialityProfile.Edition}) Basic Profile" };
        clauses.AddRange(DeidentificationMethodCodes.Options.Where(o => (options & o.Option) != 0).Select(o => Truncate(o.Meaning)));
        ds.AddOrUpdate(DicomTags.DeidentificationMethod, VR.LO, clauses.Select(c => c.Replace('\\', '/')).ToArray());
        var items = new List<DicomDataset> { Code(DeidentificationMethodCodes.BasicProfile, "Basic Application Confidentiality Profile") };
        items.AddRange(DeidentificationMethodCodes.Options.Where(o => (options & o.Option) != 0).Select(o => Code(o.Code, o.Meaning)));
        ds.Add(new DicomSequence(DicomTags.DeidentificationMethodCodeSequence, items));
        var longitudinal = (options & ProfileOption.RetainLongitudinalModifiedDates) != 0 ? "MODIFIED"
            : (options & ProfileOption.RetainLongitudinalFullDates) != 0 ? "UNMODIFIED" : "REMOVED";
        ds.AddOrUpdate(DicomTags.LongitudinalTemporalInformationModified, longitudinal);
    }

    private static DicomDataset Code(string value, string meaning)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.CodeValue, value);
        item.AddOrUpdate(DicomTags.CodingSchemeDesignator, "DCM");
        item.AddOrUpdate(DicomTags.CodeMeaning, meaning);
        return item;
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64];
}
