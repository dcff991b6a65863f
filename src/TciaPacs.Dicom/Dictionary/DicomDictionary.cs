using System.Collections.Frozen;

namespace TciaPacs.Dicom;

/// <summary>The PS3.6 data dictionary (generated), looked up by tag or keyword.</summary>
public static partial class DicomDictionary
{
    private static readonly VR[] NoVRs = [];
    private static readonly DictionaryEntry[] Entries = CreateEntries();
    private static readonly FrozenDictionary<uint, DictionaryEntry> ByTag =
        Entries.Where(e => !e.IsRepeatingGroup).ToFrozenDictionary(e => e.Tag);
    private static readonly DictionaryEntry[] Repeating = Entries.Where(e => e.IsRepeatingGroup).ToArray();
    private static readonly FrozenDictionary<string, DictionaryEntry> ByKeyword =
        Entries.Where(e => e.Keyword.Length > 0).GroupBy(e => e.Keyword).ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    public static IReadOnlyList<DictionaryEntry> All => Entries;

    /// <summary>The entry of a standard tag, or null for private and unknown tags. Group length tags (gggg,0000) resolve to UL.</summary>
    public static DictionaryEntry? Find(DicomTag tag)
    {
        if (ByTag.TryGetValue(tag.Value, out var entry)) return entry;
        if (tag.IsPrivate) return tag.IsPrivateCreator ? PrivateCreator : null;
        if (tag.Element == 0) return GroupLength;
        foreach (var r in Repeating)
            if (r.Matches(tag)) return r;
        return null;
    }

    public static DictionaryEntry? FindByKeyword(string keyword) =>
        ByKeyword.TryGetValue(keyword, out var e) ? e : null;

    /// <summary>The VR implied for a tag in an implicit VR data set: the dictionary's first VR, LO for private creators, UN otherwise.</summary>
    public static VR ImpliedVR(DicomTag tag) => Find(tag)?.VR is { IsKnown: true } vr ? vr : VR.UN;

    public static string KeywordOf(DicomTag tag) => Find(tag)?.Keyword ?? "";

    private static readonly DictionaryEntry PrivateCreator = new(0x00010010, 0xFFFFFFFF, "PrivateCreator", "Private Creator", [VR.LO], "1", false);
    private static readonly DictionaryEntry GroupLength = new(0x00000000, 0xFFFFFFFF, "GenericGroupLength", "Generic Group Length", [VR.UL], "1", true);
}
