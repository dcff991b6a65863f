using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Lucene;

/// <summary>An indexed attribute as the index uses it: its field base name and, for a private one, where to find it.</summary>
internal sealed record MappedAttribute(IndexedAttribute Attribute, string Base, string? Creator, DicomTag? DerivedFrom);

/// <summary>Resolves configured attributes to field names, and query keys (private ones through their creator) to attributes.</summary>
internal sealed class AttributeMap
{
    private readonly Dictionary<DicomTag, MappedAttribute> _standard = [];
    private readonly Dictionary<(ushort Group, byte Offset, string Creator), MappedAttribute> _private = [];

    public AttributeMap(IEnumerable<IndexedAttribute> attributes)
    {
        var list = new List<MappedAttribute>();
        foreach (var a in attributes)
        {
            if (IndexedAttributes.PrivateCreatorOf(a) is { } creator)
            {
                var offset = (byte)a.Tag.Element;
                var m = new MappedAttribute(a, FieldNames.PrivateBase(a.Tag.Group, offset, creator), creator, null);
                if (_private.TryAdd((a.Tag.Group, offset, creator), m)) list.Add(m);
                continue;
            }
            IndexedAttributes.DerivedFrom.TryGetValue(a.Tag, out var source);
            var mapped = new MappedAttribute(a, FieldNames.Base(IndexedAttributes.DerivedFrom.ContainsKey(a.Tag) ? source : a.Tag), null,
                IndexedAttributes.DerivedFrom.ContainsKey(a.Tag) ? source : null);
            if (_standard.TryAdd(a.Tag, mapped)) list.Add(mapped);
        }
        All = list;
    }

    public IReadOnlyList<MappedAttribute> All { get; }

    /// <summary>
    /// The attribute a key is about. A private key (gggg,bbee) is resolved through the query's own creator key
    /// (gggg,00bb) (PS3.4 C.4.1.1.3.1 lets private keys be sent with their creator); without it the key is not covered.
    /// </summary>
    public MappedAttribute? Resolve(QueryKey key, DicomQuery query)
    {
        if (!key.Tag.IsPrivate) return _standard.GetValueOrDefault(key.Tag);
        if (key.Tag.Element < 0x1000) return null;
        var creatorTag = key.Tag.PrivateCreatorTag;
        var creator = query.Keys.FirstOrDefault(k => k.Tag == creatorTag)?.Value.Trim();
        return creator is { Length: > 0 } ? _private.GetValueOrDefault((key.Tag.Group, (byte)key.Tag.Element, creator)) : null;
    }

    /// <summary>The element of a private attribute in a data set: in the block its creator reserved (PS3.5 7.8.1).</summary>
    public static DicomTag? FindPrivate(DicomDataset ds, ushort group, byte offset, string creator)
    {
        for (ushort slot = 0x10; slot <= 0xFF; slot++)
        {
            var e = ds.Get(new DicomTag(group, slot));
            if (e != null && string.Equals(ds.GetString(e).Trim(), creator, StringComparison.Ordinal))
                return new DicomTag(group, (ushort)((slot << 8) | offset));
        }
        return null;
    }
}
