namespace TciaPacs.Deidentification.Profile;

/// <summary>
/// The action codes of PS3.15 Table E.1-1 (E.1.1): D dummy, Z zero length, X remove, K keep, C clean, U replace UIDs,
/// and the combined ones whose choice depends on the attribute's Type in the IOD (X/Z, X/D, X/Z/D, Z/D, X/Z/U*).
/// </summary>
public enum ProfileAction : byte
{
    None = 0,
    Dummy,
    Zero,
    Remove,
    Keep,
    Clean,
    ReplaceUid,
    RemoveOrZero,
    RemoveOrDummy,
    RemoveOrZeroOrDummy,
    ZeroOrDummy,
    /// <summary>X/Z/U*: a sequence of references; kept, the UIDs in it replaced (U* in E.1-1).</summary>
    RemoveOrZeroOrReplaceUids,
}

public static class ProfileActions
{
    public static ProfileAction Parse(string code) => code switch
    {
        "" => ProfileAction.None,
        "D" => ProfileAction.Dummy,
        "Z" => ProfileAction.Zero,
        "X" => ProfileAction.Remove,
        "K" => ProfileAction.Keep,
        "C" => ProfileAction.Clean,
        "U" => ProfileAction.ReplaceUid,
        "X/Z" => ProfileAction.RemoveOrZero,
        "X/D" => ProfileAction.RemoveOrDummy,
        "X/Z/D" => ProfileAction.RemoveOrZeroOrDummy,
        "Z/D" => ProfileAction.ZeroOrDummy,
        "X/Z/U*" => ProfileAction.RemoveOrZeroOrReplaceUids,
        _ => throw new FormatException($"unknown PS3.15 E.1-1 action code '{code}'"),
    };

    public static string Code(this ProfileAction a) => a switch
    {
        ProfileAction.Dummy => "D",
        ProfileAction.Zero => "Z",
        ProfileAction.Remove => "X",
        ProfileAction.Keep => "K",
        ProfileAction.Clean => "C",
        ProfileAction.ReplaceUid => "U",
        ProfileAction.RemoveOrZero => "X/Z",
        ProfileAction.RemoveOrDummy => "X/D",
        ProfileAction.RemoveOrZeroOrDummy => "X/Z/D",
        ProfileAction.ZeroOrDummy => "Z/D",
        ProfileAction.RemoveOrZeroOrReplaceUids => "X/Z/U*",
        _ => "",
    };

    /// <summary>
    /// The action carried out for a combined code. We do not know the attribute's Type in the IOD at hand (no PS3.3
    /// module-to-attribute table is available), so we take the choice that is valid whatever the Type: the one a
    /// Type 1 attribute needs when D is offered (a dummy), else Z (Type 2). Removal is never chosen for a combined code,
    /// so no mandatory attribute goes missing (E.1.1 Note: "the choice depends on the Type").
    /// </summary>
    public static ProfileAction Effective(this ProfileAction a) => a switch
    {
        ProfileAction.RemoveOrZero => ProfileAction.Zero,
        ProfileAction.RemoveOrDummy or ProfileAction.RemoveOrZeroOrDummy or ProfileAction.ZeroOrDummy => ProfileAction.Dummy,
        ProfileAction.RemoveOrZeroOrReplaceUids => ProfileAction.ReplaceUid,
        _ => a,
    };
}
