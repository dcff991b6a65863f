using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Web.Qido;

/// <summary>
/// The attributes QIDO-RS returns without being asked, when stored (PS3.18 Tables 10.6.3-3 Study, -4 Series and
/// -5 Instance); a query at series or instance level across studies also returns the study's (10.6.3.3.1).
/// </summary>
internal static class QidoDefaults
{
    private static readonly DicomTag[] Study =
    [
        DicomTags.StudyDate, DicomTags.StudyTime, DicomTags.AccessionNumber, DicomTags.InstanceAvailability, DicomTags.ModalitiesInStudy,
        DicomTags.ReferringPhysicianName, DicomTags.TimezoneOffsetFromUTC, DicomTags.PatientName, DicomTags.PatientID,
        DicomTags.PatientBirthDate, DicomTags.PatientSex, DicomTags.StudyID, DicomTags.StudyInstanceUID,
        DicomTags.NumberOfStudyRelatedSeries, DicomTags.NumberOfStudyRelatedInstances,
    ];

    private static readonly DicomTag[] Series =
    [
        DicomTags.Modality, DicomTags.TimezoneOffsetFromUTC, DicomTags.SeriesDescription, DicomTags.SeriesInstanceUID,
        DicomTags.PerformedProcedureStepStartDate, DicomTags.PerformedProcedureStepStartTime, DicomTags.RequestAttributesSequence,
        DicomTags.SeriesNumber, DicomTags.NumberOfSeriesRelatedInstances,
    ];

    private static readonly DicomTag[] Instance =
    [
        DicomTags.SOPClassUID, DicomTags.SOPInstanceUID, DicomTags.InstanceAvailability, DicomTags.TimezoneOffsetFromUTC,
        DicomTags.InstanceNumber, DicomTags.Rows, DicomTags.Columns, DicomTags.BitsAllocated, DicomTags.NumberOfFrames,
    ];

    public static IEnumerable<DicomTag> For(QueryLevel level) => level switch
    {
        QueryLevel.Study => Study,
        QueryLevel.Series => [.. Series, .. Study],
        _ => [.. Instance, .. Series, .. Study],
    };
}
