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

    public bool Matches(DicomTag t) => (t.Value & Mask) == Tag;

    public override string ToString() => $"{new DicomTag(Tag)} {Keyword} {string.Join(" or ", vrs)} {VM}";
}
