namespace TciaPacs.Archive.Sqlite;

/// <summary>
/// The catalog tables: one row per patient, study, series and instance, each with the attribute document of its level
/// (DICOM JSON, PS3.18 F) taken from the instance with the smallest SOP Instance UID (<c>source_sop</c>), so the
/// documents do not depend on arrival order and a rebuild from the files reproduces them, and columns for the keys the engine pre-filters on; studies and series carry their counts,
/// sizes, ModalitiesInStudy and SOPClassesInStudy (kept exact inside each write transaction).
/// </summary>
internal static class CatalogSchema
{
    public const int Version = 1;

    public const string Ddl = """
        CREATE TABLE IF NOT EXISTS patient (
            pk INTEGER PRIMARY KEY,
            patient_key TEXT NOT NULL UNIQUE,
            patient_id TEXT NOT NULL,
            created TEXT NOT NULL,
            source_sop TEXT NOT NULL,
            attrs TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS patient_id_ix ON patient(patient_id);
        CREATE TABLE IF NOT EXISTS study (
            pk INTEGER PRIMARY KEY,
            study_uid TEXT NOT NULL UNIQUE,
            patient_pk INTEGER NOT NULL REFERENCES patient(pk),
            collection TEXT NOT NULL,
            study_date TEXT,
            accession TEXT NOT NULL,
            modalities TEXT NOT NULL DEFAULT '',
            sop_classes TEXT NOT NULL DEFAULT '',
            num_series INTEGER NOT NULL DEFAULT 0,
            num_instances INTEGER NOT NULL DEFAULT 0,
            size INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            source_sop TEXT NOT NULL,
            attrs TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS study_patient_ix ON study(patient_pk);
        CREATE INDEX IF NOT EXISTS study_date_ix ON study(study_date);
        CREATE INDEX IF NOT EXISTS study_accession_ix ON study(accession);
        CREATE INDEX IF NOT EXISTS study_collection_ix ON study(collection);
        CREATE TABLE IF NOT EXISTS series (
            pk INTEGER PRIMARY KEY,
            series_uid TEXT NOT NULL UNIQUE,
            study_pk INTEGER NOT NULL REFERENCES study(pk),
            modality TEXT NOT NULL,
            num_instances INTEGER NOT NULL DEFAULT 0,
            size INTEGER NOT NULL DEFAULT 0,
            created TEXT NOT NULL,
            source_sop TEXT NOT NULL,
            attrs TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS series_study_ix ON series(study_pk);
        CREATE INDEX IF NOT EXISTS series_modality_ix ON series(modality);
        CREATE TABLE IF NOT EXISTS instance (
            pk INTEGER PRIMARY KEY,
            sop_uid TEXT NOT NULL UNIQUE,
            series_pk INTEGER NOT NULL REFERENCES series(pk),
            study_pk INTEGER NOT NULL REFERENCES study(pk),
            sop_class_uid TEXT NOT NULL,
            transfer_syntax TEXT NOT NULL,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            hash TEXT NOT NULL,
            created TEXT NOT NULL,
            attrs TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS instance_series_ix ON instance(series_pk);
        CREATE INDEX IF NOT EXISTS instance_study_ix ON instance(study_pk, sop_class_uid);
        CREATE INDEX IF NOT EXISTS instance_class_ix ON instance(sop_class_uid);
        -- The few rows with several values in a single-valued key column (see SqlFilter): a union branch scans only these.
        CREATE INDEX IF NOT EXISTS patient_id_multi_ix ON patient(patient_id) WHERE instr(patient_id, '\') > 0;
        CREATE INDEX IF NOT EXISTS study_accession_multi_ix ON study(accession) WHERE instr(accession, '\') > 0;
        CREATE INDEX IF NOT EXISTS study_date_multi_ix ON study(study_date) WHERE instr(study_date, '\') > 0;
        CREATE INDEX IF NOT EXISTS series_modality_multi_ix ON series(modality) WHERE instr(modality, '\') > 0;
        """;
}
