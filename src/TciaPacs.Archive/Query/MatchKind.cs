namespace TciaPacs.Archive.Query;

/// <summary>The kinds of attribute matching of PS3.4 C.2.2.2.</summary>
public enum MatchKind
{
    /// <summary>Zero-length value: every entity matches; the attribute is only to be returned (C.2.2.2.3).</summary>
    Universal,
    /// <summary>Exact value (C.2.2.2.1); for PN case-insensitive, as dcm4chee and Orthanc do by default.</summary>
    SingleValue,
    /// <summary>A backslash-separated list of UIDs (C.2.2.2.2).</summary>
    UidList,
    /// <summary>'*' and '?' (C.2.2.2.4).</summary>
    Wildcard,
    /// <summary>DA/TM/DT ranges, open-ended or not (C.2.2.2.5).</summary>
    Range,
    /// <summary>The value <c>""</c>: entities whose attribute is empty or absent match (C.2.2.2.1 Empty Value Matching).</summary>
    EmptyValue,
    /// <summary>A sequence with one item of keys: an entity matches when any of its items matches them all (C.2.2.2.6).</summary>
    Sequence,
}
