using System.Globalization;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Values;

namespace TciaPacs.Archive.Query;

/// <summary>
/// Timezone Offset From UTC (0008,0201) in a query (PS3.4 C.2.2.2, C.2.2.2.1.3, C.2.2.2.5.4): the query's dates and
/// times without an offset of their own are in that timezone, and each stored entity's in its own (its
/// Timezone Offset From UTC; one without it is taken to be in the query's). Matching compares the entity's dates and
/// times moved into the query's timezone, so the key is a timezone, never a value to match. When the C-FIND SCU
/// negotiated timezone query adjustment, the responses carry the moved values too, with the query's offset; otherwise
/// they carry the values as stored. Dates of birth are calendar dates, not moments, and are never moved (as
/// dcm4chee and most PACS do); a date without its time cannot be moved and stays as it is.
/// </summary>
public static class TimezoneAdjustment
{
    /// <summary>The date and time pairs moved together (those of <see cref="DicomQuery.DateTimePairs"/> but the birth's).</summary>
    public static IReadOnlyList<(DicomTag Date, DicomTag Time)> MovedPairs { get; } =
        DicomQuery.DateTimePairs.Where(p => p.Date != DicomTags.PatientBirthDate).ToList();

    /// <summary>"+HHMM" or "-HHMM" (PS3.3 C.12.1.1.8), from -12:00 to +14:00; null otherwise.</summary>
    public static TimeSpan? ParseOffset(string? value)
    {
        var v = value?.Trim();
        if (v is not { Length: 5 } || v[0] is not ('+' or '-') || v.AsSpan(1).ContainsAnyExceptInRange('0', '9')) return null;
        var hours = int.Parse(v.AsSpan(1, 2), CultureInfo.InvariantCulture);
        var minutes = int.Parse(v.AsSpan(3, 2), CultureInfo.InvariantCulture);
        if (minutes > 59) return null;
        var offset = new TimeSpan(hours, minutes, 0) * (v[0] == '-' ? -1 : 1);
        return offset < TimeSpan.FromHours(-12) || offset > TimeSpan.FromHours(14) ? null : offset;
    }

    public static string FormatOffset(TimeSpan offset) =>
        (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString("hhmm", CultureInfo.InvariantCulture);

    /// <summary>
    /// Takes the query's timezone out of its keys: the Timezone Offset From UTC key becomes a return key, and DT keys
    /// without an offset of their own get the query's. A query without the key comes back as it was.
    /// </summary>
    public static DicomQuery Prepare(DicomQuery query)
    {
        var key = query.Keys.FirstOrDefault(k => k.Tag == DicomTags.TimezoneOffsetFromUTC && k.IsMatching);
        if (key == null) return query;
        if (key.Kind != MatchKind.SingleValue || ParseOffset(key.Value) is not { } offset)
        {
            var hint = key.Value.Trim().Length == 4 && key.Value.Trim().All(char.IsAsciiDigit) ? " (in a URL, send '+' as %2B)" : "";
            throw new QueryException($"(0008,0201) Timezone Offset From UTC '{key.Value}' is not a timezone: +HHMM or -HHMM, from -1200 to +1400{hint}");
        }
        var keys = query.Keys.Select(k =>
            k == key ? k with { Kind = MatchKind.Universal, Value = "" }
            : k.VR == VR.DT && k.Kind == MatchKind.Range ? k with { Range = DicomDateRange.Parse(k.Value, VR.DT, offset) }
            : k).ToList();
        return query with { Keys = keys, TimezoneOffset = offset };
    }

    /// <summary>
    /// The keys the catalog and the index pre-filter on, for a query with a timezone: its date keys widened by two days
    /// (two timezones are at most 26 hours apart), its DT keys by one (a stored DT without an offset is read in a
    /// timezone at most 14 hours from UTC), and the time keys of moved pairs left out (a moved time can wrap past
    /// midnight). The matcher then decides on the moved values.
    /// </summary>
    public static IReadOnlyList<QueryKey> PreFilterKeys(IReadOnlyList<QueryKey> keys)
    {
        var dates = MovedPairs.Select(p => p.Date).ToHashSet();
        var times = MovedPairs.Select(p => p.Time).ToHashSet();
        var result = new List<QueryKey>(keys.Count);
        foreach (var k in keys)
        {
            if (k.Kind != MatchKind.Range) result.Add(k);
            else if (dates.Contains(k.Tag)) result.Add(Widen(k, TimeSpan.FromDays(2)));
            else if (k.VR == VR.DT) result.Add(Widen(k, TimeSpan.FromDays(1)));
            else if (!times.Contains(k.Tag)) result.Add(k);
        }
        return result;
    }

    private static QueryKey Widen(QueryKey key, TimeSpan by)
    {
        static DateTimeOffset Add(DateTimeOffset t, TimeSpan d) =>
            d < TimeSpan.Zero ? (t - DateTimeOffset.MinValue < -d ? DateTimeOffset.MinValue : t + d) : (DateTimeOffset.MaxValue - t < d ? DateTimeOffset.MaxValue : t + d);
        return key with { Range = new DicomDateRange(key.Range.Start is { } s ? Add(s, -by) : null, key.Range.End is { } e ? Add(e, by) : null) };
    }

    /// <summary>
    /// Moves an entity's dates and times into the timezone <paramref name="target"/>, in place: each moved pair whose
    /// date and time have one value each (a time without its date wraps around midnight), and each DT without an
    /// offset of at least hour precision, which also gets the target's offset. Timezone Offset From UTC becomes the
    /// target's when the entity had one. Returns whether anything changed.
    /// </summary>
    public static bool MoveTo(DicomDataset entity, TimeSpan target)
    {
        var own = ParseOffset(entity.GetString(DicomTags.TimezoneOffsetFromUTC));
        var delta = target - (own ?? target);
        var changed = false;
        if (delta != TimeSpan.Zero)
            foreach (var (dateTag, timeTag) in MovedPairs)
                changed |= MovePair(entity, dateTag, timeTag, delta);
        foreach (var e in entity.ToList())
        {
            if (e is DicomSequence || entity.ValueVR(e) != VR.DT) continue;
            var values = entity.GetStrings(e);
            var moved = values.Select(v => MoveDateTime(v, delta, target) ?? v).ToArray();
            if (moved.SequenceEqual(values, StringComparer.Ordinal)) continue;
            entity.AddOrUpdate(e.Tag, VR.DT, moved);
            changed = true;
        }
        if (own != null && own != target)
        {
            entity.AddOrUpdate(DicomTags.TimezoneOffsetFromUTC, VR.SH, FormatOffset(target));
            changed = true;
        }
        return changed;
    }

    private static bool MovePair(DicomDataset entity, DicomTag dateTag, DicomTag timeTag, TimeSpan delta)
    {
        if (entity.Get(timeTag) is not { } timeElement || timeElement is DicomSequence) return false;
        var times = entity.GetStrings(timeElement);
        if (times.Length != 1 || DicomDateTime.ParseTime(times[0]) is not { } time) return false;
        var dateElement = entity.Get(dateTag);
        var dates = dateElement is null or DicomSequence ? [] : entity.GetStrings(dateElement);
        if (dates.Length > 1 || (dates.Length == 1 && dates[0].Trim().Length > 0 && DicomDateTime.ParseDate(dates[0]) == null)) return false;
        var date = dates.Length == 1 ? DicomDateTime.ParseDate(dates[0]) : null;
        var moment = (date ?? new DateOnly(2000, 1, 2)).ToDateTime(time) + delta;
        entity.AddOrUpdate(timeTag, VR.TM, FormatTimeLike(times[0], TimeOnly.FromDateTime(moment), delta));
        if (date != null) entity.AddOrUpdate(dateTag, VR.DA, DicomDateTime.FormatDate(DateOnly.FromDateTime(moment)));
        return true;
    }

    // The moved time at the precision it was stored with (minutes added when the move has minutes), fraction kept.
    private static string FormatTimeLike(string original, TimeOnly moved, TimeSpan delta)
    {
        var s = original.Trim().Replace(":", "", StringComparison.Ordinal);
        var dot = s.IndexOf('.');
        var digits = Math.Max(dot >= 0 ? dot : s.Length, delta.Minutes != 0 ? 4 : 2);
        var text = moved.ToString(digits switch { 2 => "HH", 4 => "HHmm", _ => "HHmmss" }, CultureInfo.InvariantCulture);
        return dot >= 0 ? text + s[dot..] : text;
    }

    // A DT without an offset, of hour precision or finer, moved by delta and given the target's offset; null to leave it.
    private static string? MoveDateTime(string value, TimeSpan delta, TimeSpan target)
    {
        var v = value.Trim();
        if (DicomDateTime.ParseDateTime(v, out var hasOffset) is not { } dt || hasOffset) return null;
        var dot = v.IndexOf('.');
        var digits = dot >= 0 ? dot : v.Length;
        if (digits < 10) return null;
        var moved = dt.DateTime + delta;
        var format = Math.Max(digits, delta.Minutes != 0 ? 12 : 10) switch { 10 => "yyyyMMddHH", 12 => "yyyyMMddHHmm", _ => "yyyyMMddHHmmss" };
        return moved.ToString(format, CultureInfo.InvariantCulture) + (dot >= 0 ? v[dot..] : "") + FormatOffset(target);
    }
}
