using TciaPacs.Dicom;

namespace TciaPacs.Archive.Query;

/// <summary>
/// Parses "KEY=VALUE" query parameters as QIDO-RS writes them (PS3.18 8.3.4): KEY is a keyword or a tag in hex
/// (<c>0020000D</c> or <c>(0020,000D)</c>), or a sequence path <c>ProcedureCodeSequence.CodeValue</c>; an empty VALUE
/// is a return key. The value is classified by <see cref="QueryKey.Create"/> (PS3.4 C.2.2.2).
/// </summary>
public static class QueryKeyParser
{
    public static DicomTag ParseTag(string text)
    {
        text = text.Trim();
        if (DicomDictionary.FindByKeyword(text) is { } entry && !entry.IsRepeatingGroup) return new DicomTag(entry.Tag);
        if (DicomTag.TryParse(text, out var tag)) return tag;
        throw new QueryException($"'{text}' is neither a DICOM keyword nor a tag (e.g. PatientName or 00100010)");
    }

    public static QueryKey Parse(string parameter)
    {
        var eq = parameter.IndexOf('=', StringComparison.Ordinal);
        var name = eq < 0 ? parameter : parameter[..eq];
        var value = eq < 0 ? "" : parameter[(eq + 1)..];
        var path = name.Split('.');
        if (path.Length > 2) throw new QueryException($"'{name}': only one level of sequence is supported in a query key");
        var leaf = Create(ParseTag(path[^1]), value);
        if (path.Length == 1) return leaf;
        var sq = ParseTag(path[0]);
        return new QueryKey(sq, VR.SQ, leaf.IsMatching ? MatchKind.Sequence : MatchKind.Universal, "") { ItemKeys = [leaf] };
    }

    /// <summary>Several parameters; keys of one sequence are merged into one item.</summary>
    public static List<QueryKey> ParseAll(IEnumerable<string> parameters)
    {
        var keys = new List<QueryKey>();
        foreach (var key in parameters.Select(Parse))
        {
            var i = keys.FindIndex(k => k.Tag == key.Tag && k.VR == VR.SQ && key.VR == VR.SQ);
            if (i < 0) { keys.Add(key); continue; }
            var items = keys[i].ItemKeys.Concat(key.ItemKeys).ToList();
            keys[i] = keys[i] with { ItemKeys = items, Kind = items.Any(k => k.IsMatching) ? MatchKind.Sequence : MatchKind.Universal };
        }
        return keys;
    }

    private static QueryKey Create(DicomTag tag, string value)
    {
        var vr = DicomDictionary.Find(tag)?.VR ?? VR.UN;
        if (vr == VR.SQ) return new QueryKey(tag, VR.SQ, MatchKind.Universal, "");
        if (vr == VR.NONE) vr = VR.UN;
        return QueryKey.Create(tag, vr, value);
    }
}
