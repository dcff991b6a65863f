using Microsoft.Data.Sqlite;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Sqlite;

/// <summary>Entity queries: one SELECT per level joined up the hierarchy, in ascending key order, documents decoded once per query.</summary>
internal static class CatalogReads
{
    public static IEnumerable<CatalogEntity> Query(SqliteConnection c, CatalogFilter filter, CancellationToken ct)
    {
        var where = SqlFilter.Build(filter);
        var scope = filter.Collections is { } cols ? cols : null;
        var sql = filter.Level switch
        {
            QueryLevel.Patient => $"""
                SELECT p.pk, p.patient_key, p.attrs FROM patient p WHERE {where.Where} ORDER BY p.patient_key
                """,
            QueryLevel.Study => $"""
                SELECT p.pk, p.attrs, s.pk, s.study_uid, s.collection, s.attrs, s.modalities, s.sop_classes, s.num_series, s.num_instances
                FROM study s JOIN patient p ON p.pk = s.patient_pk WHERE {where.Where} ORDER BY s.study_uid
                """,
            QueryLevel.Series => $"""
                SELECT p.pk, p.attrs, s.pk, s.attrs, s.collection, se.series_uid, se.attrs, se.num_instances, se.size
                FROM series se JOIN study s ON s.pk = se.study_pk JOIN patient p ON p.pk = s.patient_pk WHERE {where.Where} ORDER BY se.series_uid
                """,
            _ => $"""
                SELECT p.pk, p.attrs, s.pk, s.attrs, s.collection, se.pk, se.attrs, i.sop_uid, i.attrs, i.path, i.transfer_syntax
                FROM instance i JOIN series se ON se.pk = i.series_pk JOIN study s ON s.pk = se.study_pk JOIN patient p ON p.pk = s.patient_pk
                WHERE {where.Where} ORDER BY i.sop_uid
                """,
        };
        var docs = new DocumentCache();
        var cmd = Sql.Rent(c, null, sql, where.Parameters);
        try
        {
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                ct.ThrowIfCancellationRequested();
                switch (filter.Level)
                {
                    case QueryLevel.Patient:
                        yield return new CatalogEntity(QueryLevel.Patient, r.GetString(1), "", PatientCounts(c, r.GetInt64(0), scope)) { Patient = Documents.Read(r.GetString(2)) };
                        break;
                    case QueryLevel.Study:
                        yield return new CatalogEntity(QueryLevel.Study, r.GetString(3), r.GetString(4), new EntityCounts
                        {
                            ModalitiesInStudy = Split(r.GetString(6)),
                            SopClassesInStudy = Split(r.GetString(7)),
                            RelatedSeries = r.GetInt32(8),
                            RelatedInstances = r.GetInt32(9),
                        }) { Patient = docs.Get('p', r.GetInt64(0), r, 1), Study = Documents.Read(r.GetString(5)) };
                        break;
                    case QueryLevel.Series:
                        yield return new CatalogEntity(QueryLevel.Series, r.GetString(5), r.GetString(4), new EntityCounts { RelatedInstances = r.GetInt32(7), Size = r.GetInt64(8) })
                        {
                            Patient = docs.Get('p', r.GetInt64(0), r, 1),
                            Study = docs.Get('s', r.GetInt64(2), r, 3),
                            Series = Documents.Read(r.GetString(6)),
                        };
                        break;
                    default:
                        yield return new CatalogEntity(QueryLevel.Image, r.GetString(7), r.GetString(4), new EntityCounts())
                        {
                            Patient = docs.Get('p', r.GetInt64(0), r, 1),
                            Study = docs.Get('s', r.GetInt64(2), r, 3),
                            Series = docs.Get('e', r.GetInt64(5), r, 6),
                            Instance = Documents.Read(r.GetString(8)),
                            RelativePath = r.GetString(9),
                            TransferSyntaxUid = r.GetString(10),
                        };
                        break;
                }
            }
        }
        finally
        {
            Sql.Return(c, cmd);
        }
    }

    private static EntityCounts PatientCounts(SqliteConnection c, long patientPk, IReadOnlySet<string>? scope)
    {
        var filter = "";
        var parameters = new List<(string, object?)> { ("$pk", patientPk) };
        if (scope != null)
        {
            var names = scope.Select((v, i) => { parameters.Add(($"$c{i}", v)); return $"$c{i}"; }).ToList();
            filter = $" AND collection IN ({(names.Count == 0 ? "NULL" : string.Join(", ", names))})";
        }
        var counts = new EntityCounts();
        Sql.Row(c, null, $"SELECT COUNT(*), COALESCE(SUM(num_series), 0), COALESCE(SUM(num_instances), 0) FROM study WHERE patient_pk = $pk{filter}",
            r => counts = new EntityCounts { RelatedStudies = r.GetInt32(0), RelatedSeries = r.GetInt32(1), RelatedInstances = r.GetInt32(2) }, [.. parameters]);
        return counts;
    }

    private static string[] Split(string list) => list.Length == 0 ? [] : list.Split('\\');

    /// <summary>Patient, study and series documents decoded once per query, not once per row.</summary>
    private sealed class DocumentCache
    {
        private readonly Dictionary<(char, long), DicomDataset> _docs = [];

        public DicomDataset Get(char table, long pk, SqliteDataReader r, int column)
        {
            if (_docs.TryGetValue((table, pk), out var ds)) return ds;
            if (_docs.Count > 10_000) _docs.Clear();
            return _docs[(table, pk)] = Documents.Read(r.GetString(column));
        }
    }

    public static CatalogInstance? FindInstance(SqliteConnection c, string sopUid)
    {
        CatalogInstance? found = null;
        Sql.Row(c, null, FindInstanceSql, r => found = ReadInstance(r), ("$uid", sopUid));
        return found;
    }

    private const string FindInstanceSql = InstanceSelect + " WHERE i.sop_uid = $uid";

    public static IEnumerable<CatalogInstance> AllInstances(SqliteConnection c)
    {
        using var cmd = Sql.Command(c, null, InstanceSelect + " ORDER BY i.sop_uid");
        using var r = cmd.ExecuteReader();
        while (r.Read()) yield return ReadInstance(r);
    }

    /// <summary>The files of a study, series or instance from the columns alone (no attribute documents decoded).</summary>
    public static IEnumerable<InstanceFile> InstanceFiles(SqliteConnection c, string studyUid, string? seriesUid, string? sopUid)
    {
        var sql = "SELECT i.sop_uid, se.series_uid, s.study_uid, i.path, i.transfer_syntax, s.collection, i.sop_class_uid " +
                  "FROM instance i JOIN series se ON se.pk = i.series_pk JOIN study s ON s.pk = i.study_pk WHERE s.study_uid = $study" +
                  (seriesUid != null ? " AND se.series_uid = $series" : "") + (sopUid != null ? " AND i.sop_uid = $sop" : "") + " ORDER BY i.sop_uid";
        using var cmd = Sql.Command(c, null, sql, ("$study", studyUid), ("$series", seriesUid ?? ""), ("$sop", sopUid ?? ""));
        using var r = cmd.ExecuteReader();
        while (r.Read()) yield return new InstanceFile(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6));
    }

    /// <summary>A page of instance files with their sizes, in SOP Instance UID order (the column's unique index) after a key.</summary>
    public static List<InstanceFile> InstanceFilesPage(SqliteConnection c, string? afterSopUid, int count)
    {
        const string sql = "SELECT i.sop_uid, se.series_uid, s.study_uid, i.path, i.transfer_syntax, s.collection, i.sop_class_uid, i.size " +
                           "FROM instance i JOIN series se ON se.pk = i.series_pk JOIN study s ON s.pk = i.study_pk WHERE i.sop_uid > $after ORDER BY i.sop_uid LIMIT $count";
        using var cmd = Sql.Command(c, null, sql, ("$after", afterSopUid ?? ""), ("$count", count));
        using var r = cmd.ExecuteReader();
        var page = new List<InstanceFile>(count);
        while (r.Read()) page.Add(new InstanceFile(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetInt64(7)));
        return page;
    }

    private const string InstanceSelect = """
        SELECT i.sop_uid, se.series_uid, s.study_uid, i.path, i.hash, i.size, i.transfer_syntax
        FROM instance i JOIN series se ON se.pk = i.series_pk JOIN study s ON s.pk = i.study_pk
        """;

    private static CatalogInstance ReadInstance(SqliteDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetString(6));
}
