namespace TciaPacs.Archive.Catalog;

/// <summary>
/// The key of a patient: Patient ID qualified by Issuer of Patient ID (PS3.3 C.7.1.1), joined by '\' (which a LO
/// value cannot contain, PS3.5 6.2). The catalog and the index use this same key.
/// </summary>
public static class PatientKey
{
    public static string Create(string patientId, string? issuer) =>
        string.IsNullOrEmpty(issuer) ? patientId : patientId + "\\" + issuer;
}
