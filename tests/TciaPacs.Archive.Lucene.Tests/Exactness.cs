using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Lucene.Tests;

/// <summary>Which queries the index answers exactly (equal to <see cref="Oracle.Loose"/>), not only as a superset.</summary>
internal static class Exactness
{
    public static bool IsExact(DicomQuery query, bool personNamesToo) => query.MatchingKeys.All(k => IsExact(k, query.FuzzyMatching, personNamesToo));

    private static bool IsExact(QueryKey key, bool fuzzy, bool personNamesToo)
    {
        if (key.Kind == MatchKind.Sequence) return false; // items flattened: superset
        // Patterns the translator widens to keep the automaton small (QueryTranslator.Simplify / MaxPattern): superset.
        if (key.Kind == MatchKind.Wildcard && (key.Value.Trim().Length > 256 || (key.Value.Contains('*', StringComparison.Ordinal) && key.Value.Count(c => c == '?') > 4)))
            return false;
        if (IndexedAttributes.DerivedFrom.ContainsKey(key.Tag))
            return key.Kind != MatchKind.EmptyValue && !key.Value.Contains('\\', StringComparison.Ordinal);
        if (key.VR == VR.LT || key.VR == VR.UT || key.VR == VR.UC || key.VR == VR.UR) return false; // values too long for a term
        if (key.VR == VR.PN) return personNamesToo && !fuzzy; // fuzzy pools words of all values
        if (key.Kind == MatchKind.Range) return personNamesToo;  // multi-valued ranges may pair bounds of two values
        return true;
    }
}
