using System.Globalization;
using System.Text;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Lucene.Tests;

/// <summary>Random queries built from the data's own values: every match kind, at every level, with and without fuzzy matching and collection scopes.</summary>
internal sealed class QueryGenerator(IReadOnlyList<IndexedInstance> data, IReadOnlyList<IndexedAttribute> attributes)
{
    private readonly IndexedAttribute[] _standard = attributes.Where(a => !a.Tag.IsPrivate).ToArray();
    private readonly string[] _collections = data.Select(d => d.Collection).Distinct().ToArray();

    public DicomQuery Next(Random rng)
    {
        var level = (QueryLevel)rng.Next(4);
        var keys = new List<QueryKey>();
        var n = 1 + rng.Next(3);
        for (var k = 0; k < n; k++)
            if (NextKey(rng, level) is { } key && keys.All(x => x.Tag != key.Tag)) keys.Add(key);
        IReadOnlySet<string>? collections = rng.Next(4) == 0 ? _collections.Where(_ => rng.Next(2) == 0).ToHashSet() : null;
        return new DicomQuery(level, keys) { FuzzyMatching = rng.Next(3) == 0, Collections = collections };
    }

    private QueryKey? NextKey(Random rng, QueryLevel level)
    {
        if (rng.Next(20) == 0) return QueryKey.Create(DicomTags.PatientAddress, VR.LO, "nowhere"); // not indexed: ignored
        var attribute = _standard[rng.Next(_standard.Length)];
        if (IndexedAttributes.DerivedFrom.ContainsKey(attribute.Tag) && level != QueryLevel.Study) return null;
        var instance = data[rng.Next(data.Count)];
        try
        {
            if (attribute.VR == VR.SQ) return SequenceKey(rng, attribute, instance);
            if (rng.Next(10) == 0) return QueryKey.Create(attribute.Tag, attribute.VR, "\"\"");
            var source = IndexedAttributes.DerivedFrom.GetValueOrDefault(attribute.Tag, attribute.Tag);
            var values = instance.Attributes.GetStrings(source).Where(v => v.Length > 0).ToArray();
            if (values.Length == 0) return rng.Next(2) == 0 ? QueryKey.Create(attribute.Tag, attribute.VR, "\"\"") : null;
            var v = values[rng.Next(values.Length)];
            var vr = attribute.VR;
            if (vr == VR.DA || vr == VR.TM || vr == VR.DT) return QueryKey.Create(attribute.Tag, vr, RangeOf(rng, v, source));
            if (vr == VR.UI)
            {
                if (rng.Next(2) == 0) return QueryKey.Create(attribute.Tag, vr, v);
                var other = data[rng.Next(data.Count)].Attributes.GetString(source) ?? "1.2.3";
                return QueryKey.Create(attribute.Tag, vr, $"{v}\\{other}\\1.2.3.4");
            }
            if (QueryKey.AllowsWildcards(vr) && rng.Next(2) == 0) return QueryKey.Create(attribute.Tag, vr, Wildcard(rng, v, vr == VR.PN));
            if (vr == VR.PN) v = rng.Next(3) switch { 0 => v.ToLowerInvariant(), 1 => v.ToUpperInvariant(), _ => v };
            if ((vr == VR.DS || vr.Kind == VRKind.Binary) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && rng.Next(2) == 0)
                v = d.ToString("F3", CultureInfo.InvariantCulture);
            if (v.Trim() == "*" || v.Contains('*', StringComparison.Ordinal) || v.Contains('?', StringComparison.Ordinal)) return null;
            return QueryKey.Create(attribute.Tag, vr, v);
        }
        catch (QueryException)
        {
            return null;
        }
    }

    private string RangeOf(Random rng, string v, DicomTag tag)
    {
        var other = data[rng.Next(data.Count)].Attributes.GetStrings(tag).FirstOrDefault(x => x.Length > 0) ?? v;
        var (a, b) = string.CompareOrdinal(v, other) <= 0 ? (v, other) : (other, v);
        return rng.Next(5) switch { 0 => v, 1 => v + "-", 2 => "-" + v, 3 => $"{a}-{b}", _ => $"{b}-{a}" };
    }

    private static string Wildcard(Random rng, string v, bool personName)
    {
        var sb = new StringBuilder();
        if (rng.Next(3) == 0) sb.Append('*');
        var cut = rng.Next(v.Length + 1);
        for (var i = 0; i < cut; i++) sb.Append(rng.Next(5) == 0 ? '?' : personName && rng.Next(2) == 0 ? char.ToLowerInvariant(v[i]) : v[i]);
        if (cut < v.Length || rng.Next(2) == 0) sb.Append('*');
        return sb.ToString();
    }

    private QueryKey? SequenceKey(Random rng, IndexedAttribute attribute, IndexedInstance instance)
    {
        var sq = instance.Attributes.GetSequence(attribute.Tag);
        if (sq == null || sq.Items.Count == 0 || rng.Next(5) == 0) return QueryKey.Create(attribute.Tag, VR.SQ, "\"\"");
        var item = sq.Items[rng.Next(sq.Items.Count)];
        var itemKeys = new List<QueryKey>();
        foreach (var e in item.Where(e => e is not DicomSequence).Take(2))
        {
            var value = item.GetString(e);
            if (value.Length == 0) continue;
            var vr = item.ValueVR(e);
            itemKeys.Add(QueryKey.AllowsWildcards(vr) && rng.Next(2) == 0 ? QueryKey.Create(e.Tag, vr, value[..(value.Length / 2)] + "*") : QueryKey.Create(e.Tag, vr, value));
        }
        return itemKeys.Count == 0 ? null : new QueryKey(attribute.Tag, VR.SQ, MatchKind.Sequence, "") { ItemKeys = itemKeys };
    }
}
