using System.Globalization;

namespace TciaPacs.Dicom;

/// <summary>The PS3.6 data dictionary (generated), looked up by tag or keyword.</summary>
public static partial class DicomDictionary
{
    private static readonly DictionaryEntry[] Entries = CreateEntries();
    private static readonly Dictionary<uint, DictionaryEntry> ByTag = BuildByTag();
    private static readonly DictionaryEntry[] Repeating = Entries.Where(e => e.IsRepeatingGroup).ToArray();
    private static readonly Dictionary<string, DictionaryEntry> ByKeyword = BuildByKeyword();

    private static DictionaryEntry[] CreateEntries()
    {
        var entries = new List<DictionaryEntry>(5400);
        Span<Range> cells = stackalloc Range[8];
        foreach (var line in Table.AsSpan().EnumerateLines())
        {
            if (line.IsEmpty) continue;
            var n = line.Split(cells, '\t');
            if (n != 7) throw new InvalidOperationException($"Corrupt generated dictionary line: {line}");
            var vrText = line[cells[4]];
            var vrs = new List<VR>(2);
            foreach (var range in vrText.Split('/'))
                if (vrText[range].Length == 2) vrs.Add(VR.Parse(vrText[range].ToString()));
            entries.Add(new DictionaryEntry(
                uint.Parse(line[cells[0]], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                uint.Parse(line[cells[1]], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                line[cells[2]].ToString(), line[cells[3]].ToString(), vrs.ToArray(), line[cells[5]].ToString(), line[cells[6]][0] == '1'));
        }
        return entries.ToArray();
    }

    private static Dictionary<uint, DictionaryEntry> BuildByTag()
    {
        var d = new Dictionary<uint, DictionaryEntry>(Entries.Length);
        foreach (var e in Entries)
            if (!e.IsRepeatingGroup) d[e.Tag] = e;
        return d;
    }

    private static Dictionary<string, DictionaryEntry> BuildByKeyword()
    {
        var d = new Dictionary<string, DictionaryEntry>(Entries.Length, StringComparer.Ordinal);
        foreach (var e in Entries)
            if (e.Keyword.Length > 0) d.TryAdd(e.Keyword, e);
        return d;
    }

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
