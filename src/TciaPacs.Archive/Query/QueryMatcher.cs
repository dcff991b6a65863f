using System.Globalization;
using System.Text.RegularExpressions;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Values;

namespace TciaPacs.Archive.Query;

/// <summary>
/// PS3.4 C.2.2.2 attribute matching over a data set held in memory. It is the reference the catalog and the index are
/// tested against, and what sequence keys and return-key filtering use.
/// </summary>
public static class QueryMatcher
{
    /// <summary>True when every matching key of <paramref name="query"/> matches <paramref name="entity"/>.</summary>
    public static bool Matches(DicomDataset entity, DicomQuery query)
    {
        var pairs = query.CombinedPairs();
        if (pairs.Count == 0) return query.MatchingKeys.All(k => Matches(entity, k, query.FuzzyMatching));
        var paired = pairs.SelectMany(p => new[] { p.Date, p.Time }).ToHashSet();
        return pairs.All(p => MatchesCombined(entity, p.Date, p.Time))
               && query.MatchingKeys.Where(k => !paired.Contains(k)).All(k => Matches(entity, k, query.FuzzyMatching));
    }

    /// <summary>
    /// Combined date and time range matching (PS3.4 C.2.2.2.5): the range runs from the first date at the first time to
    /// the last date at the last time (an open end stays open; a missing time bound is the day's start or end). The
    /// entity's date and time make one point; without a time, its whole day. It matches when the two overlap.
    /// </summary>
    public static bool MatchesCombined(DicomDataset entity, QueryKey date, QueryKey time)
    {
        var start = date.Range.Start is { } ds ? ds.Date + (time.Range.Start?.TimeOfDay ?? TimeSpan.Zero) : (DateTime?)null;
        var end = date.Range.End is { } de ? de.Date + (time.Range.End?.TimeOfDay ?? TimeSpan.FromDays(1) - TimeSpan.FromTicks(1)) : (DateTime?)null;
        var dateElement = entity.Get(date.Tag);
        if (dateElement == null || dateElement is DicomSequence) return false;
        var timeElement = entity.Get(time.Tag);
        var times = timeElement is null or DicomSequence ? [] : entity.GetStrings(timeElement);
        foreach (var d in entity.GetStrings(dateElement))
        {
            if (DicomDateTime.ParseDate(d) is not { } day) continue;
            var span = DicomDateRange.Parse(times.FirstOrDefault() ?? "", VR.TM);
            var first = day.ToDateTime(TimeOnly.MinValue) + (span.Start?.TimeOfDay ?? TimeSpan.Zero);
            var last = day.ToDateTime(TimeOnly.MinValue) + (span.End?.TimeOfDay ?? TimeSpan.FromDays(1) - TimeSpan.FromTicks(1));
            if ((start == null || last >= start) && (end == null || first <= end)) return true;
        }
        return false;
    }

    public static bool Matches(DicomDataset entity, QueryKey key, bool fuzzy = false)
    {
        var e = entity.Get(key.Tag);
        switch (key.Kind)
        {
            case MatchKind.Universal:
                return true;
            case MatchKind.EmptyValue:
                return e == null || (e is DicomSequence s ? s.Items.Count == 0 : entity.GetStrings(e).All(v => v.Length == 0));
            case MatchKind.Sequence:
                return e is DicomSequence sq && sq.Items.Any(item => key.ItemKeys.Where(k => k.IsMatching).All(k => Matches(item, k, fuzzy)));
        }
        if (e == null || e is DicomSequence) return false;
        // A multi-valued attribute matches when any of its values does (PS3.4 C.2.2.2).
        var values = entity.GetStrings(e);
        return values.Any(v => MatchesValue(key, v, fuzzy));
    }

    public static bool MatchesValue(QueryKey key, string value, bool fuzzy)
    {
        switch (key.Kind)
        {
            case MatchKind.UidList:
                return key.Uids.Contains(value, StringComparer.Ordinal);
            case MatchKind.Range:
                return InRange(key, value);
            case MatchKind.Wildcard:
                if (key.VR == VR.PN && fuzzy) return PersonNameMatcher.Fuzzy(key.Value, value);
                return WildcardRegex(key.Value, ignoreCase: key.VR == VR.PN).IsMatch(value);
            case MatchKind.SingleValue:
                if (key.VR == VR.PN) return fuzzy ? PersonNameMatcher.Fuzzy(key.Value, value) : PersonNameMatcher.Literal(key.Value, value);
                if (key.VR == VR.DS || key.VR == VR.IS || key.VR.Kind == VRKind.Binary)
                    return NumbersEqual(key.Value, value);
                return string.Equals(key.Value.Trim(), value, StringComparison.Ordinal);
            default:
                return false;
        }
    }

    private static bool NumbersEqual(string a, string b) =>
        double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.TryParse(b, NumberStyles.Float, CultureInfo.InvariantCulture, out var y)
            ? x == y
            : string.Equals(a.Trim(), b.Trim(), StringComparison.Ordinal);

    private static bool InRange(QueryKey key, string value)
    {
        // The stored value is a point (or, for a DT without all its digits, the span it covers): it matches when it overlaps the range.
        var span = DicomDateRange.Parse(value, key.VR);
        if (span.IsEmpty) return false;
        var (start, end) = (key.Range.Start, key.Range.End);
        if (start is { } s && span.End is { } ve && ve < s) return false;
        if (end is { } en && span.Start is { } vs && vs > en) return false;
        return true;
    }

    private static readonly Dictionary<(string, bool), Regex> RegexCache = new();

    /// <summary>'*' any run of characters, '?' exactly one (PS3.4 C.2.2.2.4).</summary>
    public static Regex WildcardRegex(string pattern, bool ignoreCase)
    {
        lock (RegexCache)
        {
            if (RegexCache.TryGetValue((pattern, ignoreCase), out var r)) return r;
            var body = Regex.Escape(pattern.Trim()).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal);
            r = new Regex("^" + body + "$", RegexOptions.Singleline | RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None));
            if (RegexCache.Count < 10_000) RegexCache[(pattern, ignoreCase)] = r;
            return r;
        }
    }
}
