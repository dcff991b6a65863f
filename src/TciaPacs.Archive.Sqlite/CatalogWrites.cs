using Microsoft.Data.Sqlite;
using TciaPacs.Archive.Catalog;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Sqlite;

/// <summary>
/// The write transactions of the catalog, run on the single writer connection. Because writes are serialized, the
/// duplicate and identity checks and the count updates of one commit see every earlier commit: concurrent stores of
/// one study can neither create two study rows nor lose a count.
/// </summary>
internal static class CatalogWrites
{
    public static CommitResult Commit(SqliteConnection c, SqliteTransaction tx, CatalogEntry e)
    {
        long? existingPk = null;
        string? existingPath = null;
        string? existingHash = null;
        Sql.Row(c, tx, "SELECT pk, hash, path FROM instance WHERE sop_uid = $sop", r =>
        {
            existingPk = r.GetInt64(0);
            existingHash = r.GetString(1);
            existingPath = r.GetString(2);
        }, ("$sop", e.SopInstanceUid));
        if (existingPk != null)
        {
            if (existingHash == e.ContentHash) return new CommitResult(CommitOutcome.Identical, "identical instance already stored", existingPath);
            if (!e.ReplaceExisting) return new CommitResult(CommitOutcome.ContentConflict, "SOP Instance UID already stored with other content", existingPath);
        }
        if (IdentityConflict(c, tx, e) is { } conflict) return new CommitResult(CommitOutcome.IdentityConflict, conflict, existingPath);
        if (existingPk is { } old) RemoveInstance(c, tx, old);

        var now = Documents.Timestamp(e.IngestTime);
        var sop = e.SopInstanceUid;
        // Each level keeps the document of its instance with the smallest SOP Instance UID: order-independent. A level
        // that already has a smaller one is left as it is, without serializing a document nobody would store (most
        // instances of a series: this was a third of the catalog writer's CPU per store).
        var patientRow = LevelRow(c, tx, "SELECT pk, source_sop FROM patient WHERE patient_key = $k", ("$k", e.PatientKey), sop, out var patientKeeps);
        long patientPk;
        if (patientKeeps) patientPk = patientRow!.Value;
        else
        {
            Sql.Execute(c, tx, """
                INSERT INTO patient(patient_key, patient_id, created, source_sop, attrs) VALUES($k, $id, $t, $sop, $a)
                ON CONFLICT(patient_key) DO UPDATE SET attrs = excluded.attrs, source_sop = excluded.source_sop WHERE excluded.source_sop < patient.source_sop
                """, ("$k", e.PatientKey), ("$id", e.PatientId), ("$t", now), ("$sop", sop), ("$a", Documents.Write(e.PatientAttributes)));
            patientPk = patientRow ?? (long)Sql.Scalar(c, tx, "SELECT pk FROM patient WHERE patient_key = $k", ("$k", e.PatientKey))!;
        }

        var studyRow = LevelRow(c, tx, "SELECT pk, source_sop FROM study WHERE study_uid = $uid", ("$uid", e.StudyInstanceUid), sop, out var studyKeeps);
        long studyPk;
        if (studyKeeps) studyPk = studyRow!.Value;
        else
        {
            var study = e.StudyAttributes;
            Sql.Execute(c, tx, """
                INSERT INTO study(study_uid, patient_pk, collection, study_date, accession, created, updated, source_sop, attrs)
                VALUES($uid, $p, $c, $d, $acc, $t, $t, $sop, $a)
                ON CONFLICT(study_uid) DO UPDATE SET attrs = excluded.attrs, study_date = excluded.study_date, accession = excluded.accession,
                    source_sop = excluded.source_sop WHERE excluded.source_sop < study.source_sop
                """,
                ("$uid", e.StudyInstanceUid), ("$p", patientPk), ("$c", e.Collection), ("$d", Documents.NormalizedDate(study.GetString(DicomTags.StudyDate))),
                ("$acc", study.GetString(DicomTags.AccessionNumber) ?? ""), ("$t", now), ("$sop", sop), ("$a", Documents.Write(study)));
            studyPk = studyRow ?? (long)Sql.Scalar(c, tx, "SELECT pk FROM study WHERE study_uid = $uid", ("$uid", e.StudyInstanceUid))!;
        }

        var modality = e.SeriesAttributes.GetString(DicomTags.Modality) ?? "";
        var seriesPk = LevelRow(c, tx, "SELECT pk, source_sop FROM series WHERE series_uid = $uid", ("$uid", e.SeriesInstanceUid), sop, out var seriesKeeps);
        if (seriesPk == null)
        {
            Sql.Execute(c, tx, "INSERT INTO series(series_uid, study_pk, modality, created, source_sop, attrs) VALUES($uid, $s, $m, $t, $sop, $a)",
                ("$uid", e.SeriesInstanceUid), ("$s", studyPk), ("$m", modality), ("$t", now), ("$sop", sop), ("$a", Documents.Write(e.SeriesAttributes)));
            seriesPk = (long)Sql.Scalar(c, tx, "SELECT last_insert_rowid()")!;
            Sql.Execute(c, tx, $"UPDATE study SET num_series = num_series + 1, modalities = {AddToList("modalities", "$m")} WHERE pk = $s", ("$m", modality), ("$s", studyPk));
        }
        else if (!seriesKeeps && Sql.Execute(c, tx, "UPDATE series SET attrs = $a, modality = $m, source_sop = $sop WHERE pk = $pk AND $sop < source_sop",
                     ("$a", Documents.Write(e.SeriesAttributes)), ("$m", modality), ("$sop", sop), ("$pk", seriesPk)) == 1)
        {
            RecountModalities(c, tx, studyPk);
        }

        Sql.Execute(c, tx, """
            INSERT INTO instance(sop_uid, series_pk, study_pk, sop_class_uid, transfer_syntax, path, size, hash, created, attrs)
            VALUES($uid, $se, $st, $cls, $ts, $path, $size, $hash, $t, $a)
            """, ("$uid", e.SopInstanceUid), ("$se", seriesPk), ("$st", studyPk), ("$cls", e.SopClassUid), ("$ts", e.TransferSyntaxUid),
            ("$path", e.RelativePath), ("$size", e.Size), ("$hash", e.ContentHash), ("$t", now), ("$a", Documents.Write(e.InstanceAttributes)));
        Sql.Execute(c, tx, "UPDATE series SET num_instances = num_instances + 1, size = size + $n WHERE pk = $pk", ("$n", e.Size), ("$pk", seriesPk));
        Sql.Execute(c, tx, $"UPDATE study SET num_instances = num_instances + 1, size = size + $n, updated = $t, sop_classes = {AddToList("sop_classes", "$cls")} WHERE pk = $pk",
            ("$n", e.Size), ("$t", now), ("$cls", e.SopClassUid), ("$pk", studyPk));
        return existingPk != null ? new CommitResult(CommitOutcome.Replaced, null, existingPath) : new CommitResult(CommitOutcome.Inserted);
    }

    /// <summary>
    /// The primary key of a level's row (null when there is none), and whether that row keeps its document: its source
    /// SOP Instance UID sorts before (or is) <paramref name="sop"/>, so this instance would not replace it.
    /// </summary>
    private static long? LevelRow(SqliteConnection c, SqliteTransaction tx, string sql, (string, object?) key, string sop, out bool keeps)
    {
        long? pk = null;
        var keep = false;
        Sql.Row(c, tx, sql, r =>
        {
            pk = r.GetInt64(0);
            keep = string.CompareOrdinal(r.GetString(1), sop) <= 0;
        }, key);
        keeps = keep;
        return pk;
    }

    /// <summary>SQL that appends a value to a '\'-separated list column unless empty or already there.</summary>
    private static string AddToList(string column, string parameter) =>
        $"CASE WHEN {parameter} = '' OR instr('\\' || {column} || '\\', '\\' || {parameter} || '\\') > 0 THEN {column} WHEN {column} = '' THEN {parameter} ELSE {column} || '\\' || {parameter} END";

    /// <summary>Why the entry does not fit the stored hierarchy, or null (PS3.3 C.7: a study has one patient, a series one study).</summary>
    public static string? IdentityConflict(SqliteConnection c, SqliteTransaction? tx, CatalogEntry e)
    {
        string? patientKey = null, collection = null;
        if (Sql.Row(c, tx, "SELECT p.patient_key, s.collection FROM study s JOIN patient p ON p.pk = s.patient_pk WHERE s.study_uid = $uid",
                r => (patientKey, collection) = (r.GetString(0), r.GetString(1)), ("$uid", e.StudyInstanceUid)))
        {
            if (patientKey != e.PatientKey)
                return $"Study Instance UID {e.StudyInstanceUid} is already stored under another Patient ID / Issuer of Patient ID";
            if (collection != e.Collection)
                return $"Study Instance UID {e.StudyInstanceUid} is already stored in collection '{collection}', not '{e.Collection}'";
        }
        var seriesStudy = Sql.Scalar(c, tx, "SELECT s.study_uid FROM series se JOIN study s ON s.pk = se.study_pk WHERE se.series_uid = $uid", ("$uid", e.SeriesInstanceUid)) as string;
        if (seriesStudy != null && seriesStudy != e.StudyInstanceUid)
            return $"Series Instance UID {e.SeriesInstanceUid} is already stored under another study ({seriesStudy})";
        return null;
    }

    public static bool RemoveInstance(SqliteConnection c, SqliteTransaction tx, string sopUid)
    {
        var pk = Sql.Scalar(c, tx, "SELECT pk FROM instance WHERE sop_uid = $uid", ("$uid", sopUid));
        if (pk == null) return false;
        RemoveInstance(c, tx, (long)pk);
        return true;
    }

    /// <summary>Deletes an instance and recounts its series and study from what remains (deleting them when empty).</summary>
    private static void RemoveInstance(SqliteConnection c, SqliteTransaction tx, long pk)
    {
        long seriesPk = 0, studyPk = 0;
        Sql.Row(c, tx, "SELECT series_pk, study_pk FROM instance WHERE pk = $pk", r => (seriesPk, studyPk) = (r.GetInt64(0), r.GetInt64(1)), ("$pk", pk));
        Sql.Execute(c, tx, "DELETE FROM instance WHERE pk = $pk", ("$pk", pk));
        Sql.Execute(c, tx, """
            UPDATE series SET num_instances = (SELECT COUNT(*) FROM instance WHERE series_pk = $pk),
                size = (SELECT COALESCE(SUM(size), 0) FROM instance WHERE series_pk = $pk) WHERE pk = $pk
            """, ("$pk", seriesPk));
        Sql.Execute(c, tx, "DELETE FROM series WHERE pk = $pk AND num_instances = 0", ("$pk", seriesPk));
        var classes = string.Join('\\', Sql.Strings(c, tx, "SELECT DISTINCT sop_class_uid FROM instance WHERE study_pk = $pk ORDER BY sop_class_uid", ("$pk", studyPk)));
        Sql.Execute(c, tx, """
            UPDATE study SET num_series = (SELECT COUNT(*) FROM series WHERE study_pk = $pk),
                num_instances = (SELECT COUNT(*) FROM instance WHERE study_pk = $pk),
                size = (SELECT COALESCE(SUM(size), 0) FROM instance WHERE study_pk = $pk),
                sop_classes = $c WHERE pk = $pk
            """, ("$pk", studyPk), ("$c", classes));
        RecountModalities(c, tx, studyPk);
        var patientPk = Sql.Scalar(c, tx, "SELECT patient_pk FROM study WHERE pk = $pk", ("$pk", studyPk));
        Sql.Execute(c, tx, "DELETE FROM study WHERE pk = $pk AND num_instances = 0", ("$pk", studyPk));
        if (patientPk != null)
            Sql.Execute(c, tx, "DELETE FROM patient WHERE pk = $pk AND NOT EXISTS (SELECT 1 FROM study WHERE patient_pk = $pk)", ("$pk", patientPk));
    }

    private static void RecountModalities(SqliteConnection c, SqliteTransaction tx, long studyPk)
    {
        var modalities = string.Join('\\', Sql.Strings(c, tx, "SELECT DISTINCT modality FROM series WHERE study_pk = $pk AND modality <> '' ORDER BY modality", ("$pk", studyPk)));
        Sql.Execute(c, tx, "UPDATE study SET modalities = $m WHERE pk = $pk", ("$m", modalities), ("$pk", studyPk));
    }

    public static int Clear(SqliteConnection c, SqliteTransaction tx) =>
        Sql.Execute(c, tx, "DELETE FROM instance; DELETE FROM series; DELETE FROM study; DELETE FROM patient;");
}
