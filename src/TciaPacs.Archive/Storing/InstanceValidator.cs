using TciaPacs.Dicom;

namespace TciaPacs.Archive.Storing;

/// <summary>
/// The checks every instance passes before filters and commit: the four UIDs that place it in the information model
/// (PS3.3 C.12.1 SOP Common, C.7.2.1 General Study, C.7.3.1 General Series) present and valid (PS3.5 9.1), and a
/// file meta that agrees with the data set (PS3.10 7.1).
/// </summary>
internal static class InstanceValidator
{
    private static readonly (DicomTag Tag, string Name)[] RequiredUids =
    [
        (DicomTags.SOPClassUID, "SOP Class UID (0008,0016)"),
        (DicomTags.SOPInstanceUID, "SOP Instance UID (0008,0018)"),
        (DicomTags.StudyInstanceUID, "Study Instance UID (0020,000D)"),
        (DicomTags.SeriesInstanceUID, "Series Instance UID (0020,000E)"),
    ];

    /// <summary>The reason the instance cannot be stored, or null.</summary>
    public static string? Validate(DicomDataset dataset, DicomDataset meta)
    {
        foreach (var (tag, name) in RequiredUids)
        {
            var value = dataset.GetString(tag);
            if (string.IsNullOrEmpty(value)) return $"{name} is missing or empty";
            if (!DicomUids.IsValid(value)) return $"{name} '{Printable(value)}' is not a valid UID (PS3.5 9.1)";
        }
        var metaSop = meta.GetString(DicomTags.MediaStorageSOPInstanceUID);
        var sop = dataset.GetString(DicomTags.SOPInstanceUID);
        if (!string.IsNullOrEmpty(metaSop) && metaSop != sop)
            // The meta of an instance sent by C-STORE is made from its command: name both, for whoever reads the log.
            return $"the SOP Instance UID it was sent under, '{Printable(metaSop)}' (Media Storage SOP Instance UID (0002,0003), or a C-STORE-RQ's Affected SOP Instance UID (0000,1000)), differs from SOP Instance UID (0008,0018) '{sop}'";
        return null;
    }

    private static string Printable(string s) => new(s.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
