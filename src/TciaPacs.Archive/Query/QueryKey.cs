using TciaPacs.Dicom;
using TciaPacs.Dicom.Values;

namespace TciaPacs.Archive.Query;

/// <summary>One matching or return key of a query: an attribute, its VR, the value asked for and how to match it.</summary>
public sealed record QueryKey(DicomTag Tag, VR VR, MatchKind Kind, string Value)
{
    /// <summary>The keys of the item of a sequence key.</summary>
    public IReadOnlyList<QueryKey> ItemKeys { get; init; } = [];

    /// <summary>For <see cref="MatchKind.Range"/>: the bounds (either may be open).</summary>
    public DicomDateRange Range { get; init; }

    /// <summary>For <see cref="MatchKind.UidList"/>: the UIDs.</summary>
    public IReadOnlyList<string> Uids { get; init; } = [];

    public bool IsMatching => Kind != MatchKind.Universal && !(Kind == MatchKind.Sequence && ItemKeys.All(k => !k.IsMatching));

    /// <summary>Classifies a value as PS3.4 C.2.2.2 says for a key of this VR.</summary>
    public static QueryKey Create(DicomTag tag, VR vr, string value)
    {
        if (value.Length == 0) return new QueryKey(tag, vr, MatchKind.Universal, value);
        if (value == "\"\"") return new QueryKey(tag, vr, MatchKind.EmptyValue, value);
        if (vr == VR.DA || vr == VR.TM || vr == VR.DT)
        {
            if (value.Contains('-', StringComparison.Ordinal) && (vr != VR.DT || DicomDateRange.Parse(value, vr) is { IsEmpty: false }))
            {
                var range = DicomDateRange.Parse(value, vr);
                if (range.IsEmpty) throw new QueryException($"{tag} {vr}: '{value}' is not a valid {vr} range");
                // An open range or a real range; a DT value with an offset and no range parses as start = end.
                if (range.Start != range.End || value.StartsWith('-') || value.EndsWith('-'))
                    return new QueryKey(tag, vr, MatchKind.Range, value) { Range = range };
            }
            var single = DicomDateRange.Parse(value, vr);
            if (single.IsEmpty) throw new QueryException($"{tag} {vr}: '{value}' is not a valid {vr} value");
            return new QueryKey(tag, vr, MatchKind.Range, value) { Range = single };
        }
        if (vr == VR.UI)
        {
            var uids = value.Split('\\').Select(u => u.Trim(' ', '\0')).Where(u => u.Length > 0).ToArray();
            return uids.Length > 1
                ? new QueryKey(tag, vr, MatchKind.UidList, value) { Uids = uids }
                : new QueryKey(tag, vr, MatchKind.SingleValue, uids.Length == 1 ? uids[0] : "");
        }
        if (value.Trim() == "*") return new QueryKey(tag, vr, MatchKind.Universal, "");
        if (AllowsWildcards(vr) && (value.Contains('*', StringComparison.Ordinal) || value.Contains('?', StringComparison.Ordinal)))
            return new QueryKey(tag, vr, MatchKind.Wildcard, value);
        return new QueryKey(tag, vr, MatchKind.SingleValue, value);
    }

    /// <summary>Wildcards apply to text VRs other than DA, DT, TM, DS, IS, UI and AS (PS3.4 C.2.2.2.4).</summary>
    public static bool AllowsWildcards(VR vr) =>
        vr == VR.AE || vr == VR.CS || vr == VR.LO || vr == VR.LT || vr == VR.PN || vr == VR.SH || vr == VR.ST || vr == VR.UC || vr == VR.UR || vr == VR.UT;

    public override string ToString() => Kind == MatchKind.Sequence ? $"{Tag} SQ [{string.Join(", ", ItemKeys)}]" : $"{Tag} {VR} {Kind} '{Value}'";
}
