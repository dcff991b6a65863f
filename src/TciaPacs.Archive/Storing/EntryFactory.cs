using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Storage;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Storing;

/// <summary>Builds the catalog entry of a validated header once its file is staged.</summary>
internal static class EntryFactory
{
    public static CatalogEntry Create(DicomDataset header, string collection, TransferSyntax ts, StagedFile staged, DateTimeOffset ingest, bool replace) =>
        Create(header, collection, ts, staged.RelativePath, staged.ContentHash, staged.Size, ingest, replace);

    public static CatalogEntry Create(DicomDataset header, string collection, TransferSyntax ts, string relativePath, string hash, long size, DateTimeOffset ingest, bool replace)
    {
        var (patient, study, series, instance) = LevelAttributes.Split(header);
        var patientId = header.GetString(DicomTags.PatientID) ?? "";
        return new CatalogEntry
        {
            Collection = collection,
            PatientId = patientId,
            PatientKey = PatientKey.Create(patientId, header.GetString(DicomTags.IssuerOfPatientID)),
            StudyInstanceUid = header.GetString(DicomTags.StudyInstanceUID)!,
            SeriesInstanceUid = header.GetString(DicomTags.SeriesInstanceUID)!,
            SopInstanceUid = header.GetString(DicomTags.SOPInstanceUID)!,
            SopClassUid = header.GetString(DicomTags.SOPClassUID)!,
            TransferSyntaxUid = ts.Uid,
            RelativePath = relativePath,
            ContentHash = hash,
            Size = size,
            IngestTime = ingest,
            PatientAttributes = patient,
            StudyAttributes = study,
            SeriesAttributes = series,
            InstanceAttributes = instance,
            ReplaceExisting = replace,
        };
    }
}
