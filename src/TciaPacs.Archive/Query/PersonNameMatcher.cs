using System.Globalization;
using System.Text;
using TciaPacs.Dicom.Values;

namespace TciaPacs.Archive.Query;

/// <summary>
/// Person name matching. Literal matching (PS3.4 C.2.2.2.1) is insensitive to case, as dcm4chee and Orthanc do by
/// default, and compares the component groups the query gives (a query with only the alphabetic group matches on the
/// alphabetic group); trailing empty components and groups do not count.
/// Fuzzy matching (C.2.2.2.1.3), our algorithm: both names are folded (accents removed, upper case) and split into words
/// at '^', '=', spaces, commas and hyphens; each word of the query must be a prefix of some word of the name.
/// "joh do" matches "Doe^John", "DOË^JOHANNA" and "John Doe".
/// </summary>
public static class PersonNameMatcher
{
    public static bool Literal(string query, string value)
    {
        var q = PersonName.Parse(query);
        var v = PersonName.Parse(value);
        bool Same(string a, string b) => string.Equals(Trim(a), Trim(b), StringComparison.OrdinalIgnoreCase);
        if (!Same(q.Alphabetic, v.Alphabetic)) return false;
        if (q.Ideographic.Length > 0 && !Same(q.Ideographic, v.Ideographic)) return false;
        return q.Phonetic.Length == 0 || Same(q.Phonetic, v.Phonetic);
    }

    public static bool Fuzzy(string query, string value)
    {
        var words = Words(value);
        return Words(query.Replace("*", "", StringComparison.Ordinal).Replace("?", "", StringComparison.Ordinal))
            .All(q => words.Any(w => w.StartsWith(q, StringComparison.Ordinal)));
    }

    public static string[] Words(string name) =>
        Fold(name).Split(['^', '=', ' ', ',', '-', '.'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Upper case without diacritics: "Jérôme" → "JEROME".</summary>
    public static string Fold(string s)
    {
        var decomposed = s.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) sb.Append(char.ToUpperInvariant(c));
        return sb.ToString().Normalize(NormalizationForm.FormC);
    }

    private static string Trim(string group) => group.TrimEnd('^', ' ');
}
