namespace TciaPacs.Dicom;

/// <summary>One row of the PS3.6 data dictionary. Repeating groups (50xx, 60xx, 7Fxx, …) match through <see cref="Mask"/>.</summary>
public sealed class DictionaryEntry(uint tag, uint mask, string keyword, string name, VR[] vrs, string vm, bool retired)
{
    public uint Tag { get; } = tag;
    public uint Mask { get; } = mask;
    public string Keyword { get; } = keyword;
    public string Name { get; } = name;

    /// <summary>One VR, or several for entries such as "US or SS" and "OB or OW"; empty for item and delimitation tags.</summary>
    public IReadOnlyList<VR> ValueRepresentations { get; } = vrs;

    /// <summary>The first VR listed, used when nothing better is known (implicit VR data sets).</summary>
    public VR VR => vrs.Length > 0 ? vrs[0] : VR.NONE;

    public string VM { get; } = vm;
    public bool IsRetired { get; } = retired;
    public bool IsRepeatingGroup => Mask != 0xFFFFFFFF;

    /// <summary>
    /// Repeating groups (50xx, 60xx, 7Fxx) are the even groups xx = 00-1E only (PS3.5 7.6); odd ones are private and
    /// never reach here.
    /// </summary>
    public bool Matches(DicomTag t) => (t.Value & Mask) == Tag && ((Mask & 0x00FF0000) != 0 || (t.Group & 0xFF) <= 0x1E);

    public override string ToString() => $"{new DicomTag(Tag)} {Keyword} {string.Join(" or ", vrs)} {VM}";
}
