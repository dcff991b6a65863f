using System.Globalization;
using System.Text;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Sqlite;

/// <summary>
/// Translates the matching keys the catalog has columns for into a SQL WHERE clause that never excludes an entity the
/// matcher would keep (PS3.4 C.2.2.2): single values and UID lists as equality, wildcards as GLOB (case-sensitive,
/// '*' and '?' as in C.2.2.2.4), date ranges on the normalized StudyDate. A multi-valued stored value always passes,
/// since it matches when any of its values does. Other keys are left to the matcher.
/// </summary>
internal sealed class SqlFilter
{
    private readonly StringBuilder _where = new("1 = 1");
    private readonly List<(string, object?)> _parameters = [];
    private bool _byUid;

    public string Where => _where.ToString();
    public (string, object?)[] Parameters => [.. _parameters];

    public static SqlFilter Build(CatalogFilter filter)
    {
        var f = new SqlFilter();
        var level = filter.Level;
        // With a UID of the hierarchy to look up, that lookup drives the plan and the other keys are mere filters
        // on a few rows: the union form below would only make SQLite list every row with, say, Modality CT first.
        f._byUid = filter.MatchingKeys.Any(k => ColumnOf(k.Tag, level) is "s.study_uid" or "se.series_uid" or "i.sop_uid" && k.Kind is MatchKind.SingleValue or MatchKind.UidList);
        foreach (var key in filter.MatchingKeys)
        {
            var column = ColumnOf(key.Tag, level);
            if (column != null) f.AddKey(column, key);
        }
        if (filter.Collections is { } collections)
        {
            var list = f.InList(collections);
            f._where.Append(level == QueryLevel.Patient
                ? $" AND EXISTS (SELECT 1 FROM study sc WHERE sc.patient_pk = p.pk AND sc.collection IN ({list}))"
                : $" AND s.collection IN ({list})");
        }
        if (filter.OnlyKeys is { } keys) f._where.Append($" AND {KeyColumn(level)} IN ({f.InList(keys)})");
        return f;
    }

    public static string KeyColumn(QueryLevel level) => level switch
    {
        QueryLevel.Patient => "p.patient_key",
        QueryLevel.Study => "s.study_uid",
        QueryLevel.Series => "se.series_uid",
        _ => "i.sop_uid",
    };

    private static string? ColumnOf(DicomTag tag, QueryLevel level)
    {
        if (tag == DicomTags.PatientID) return "p.patient_id";
        if (level == QueryLevel.Patient) return null;
        if (tag == DicomTags.StudyInstanceUID) return "s.study_uid";
        if (tag == DicomTags.AccessionNumber) return "s.accession";
        if (tag == DicomTags.StudyDate) return "s.study_date";
        if (tag == DicomTags.ModalitiesInStudy) return level == QueryLevel.Study ? "s.modalities" : null;
        if (level == QueryLevel.Study) return null;
        if (tag == DicomTags.SeriesInstanceUID) return "se.series_uid";
        if (tag == DicomTags.Modality) return "se.modality";
        if (level == QueryLevel.Series) return null;
        if (tag == DicomTags.SOPInstanceUID) return "i.sop_uid";
        if (tag == DicomTags.SOPClassUID) return "i.sop_class_uid";
        return null;
    }

    // Multi-valued stored values always pass (see the summary). Written as "key = … OR instr(column, '\') > 0" the OR
    // kept SQLite from using the column's index (a full scan: 4 ms for PatientID at 100,000 instances); as a union of
    // two index lookups — the value, and the few multi-valued rows through a partial index — it stays a lookup.
    private static readonly Dictionary<string, (string Table, string Column)> MultiValued = new(StringComparer.Ordinal)
    {
        ["p.patient_id"] = ("patient", "patient_id"),
        ["s.accession"] = ("study", "accession"),
        ["s.study_date"] = ("study", "study_date"),
        ["se.modality"] = ("series", "modality"),
    };

    private void AddKey(string column, QueryKey key)
    {
        switch (key.Kind)
        {
            case MatchKind.SingleValue when column == "s.modalities":
                _where.Append($" AND instr('\\' || s.modalities || '\\', '\\' || {Param(key.Value.Trim())} || '\\') > 0");
                break;
            case MatchKind.SingleValue when key.VR != VR.PN:
                _where.Append($" AND {OrMultiValued(column, $"= {Param(key.Value.Trim())}")}");
                break;
            case MatchKind.UidList:
                _where.Append($" AND {OrMultiValued(column, $"IN ({InList(key.Uids)})")}");
                break;
            case MatchKind.Wildcard when key.VR != VR.PN && column != "s.modalities":
                _where.Append($" AND {OrMultiValued(column, $"GLOB {Param(Glob(key.Value.Trim()))}")}");
                break;
            case MatchKind.Range when column == "s.study_date":
                if (key.Range.Start is { } start) _where.Append($" AND s.study_date >= {Param(Day(start))}");
                if (key.Range.End is { } end) _where.Append($" AND s.study_date <= {Param(Day(end))}");
                break;
        }
    }

    /// <summary>"column CONDITION", or for a column that may hold several values, that or any multi-valued row.</summary>
    private string OrMultiValued(string column, string condition)
    {
        if (!MultiValued.TryGetValue(column, out var m)) return $"{column} {condition}";
        if (_byUid) return $"({column} {condition} OR instr({column}, '\\') > 0)";
        var alias = column[..column.IndexOf('.', StringComparison.Ordinal)];
        return $"{alias}.pk IN (SELECT pk FROM {m.Table} WHERE {m.Column} {condition} UNION ALL SELECT pk FROM {m.Table} WHERE instr({m.Column}, '\\') > 0)";
    }

    private static string Day(DateTimeOffset t) => t.DateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>'[' is the only GLOB metacharacter DICOM does not share; it becomes the class "[[]".</summary>
    private static string Glob(string pattern) => pattern.Replace("[", "[[]", StringComparison.Ordinal);

    private string Param(object value)
    {
        var name = "$p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add((name, value));
        return name;
    }

    private string InList(IEnumerable<string> values)
    {
        var names = values.Select(v => Param(v)).ToList();
        return names.Count == 0 ? "NULL" : string.Join(", ", names);
    }
}
