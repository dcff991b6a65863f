using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using TciaPacs.Dicom.Formats.Internal;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Formats.Xml;

/// <summary>Reads the Native DICOM Model (PS3.19 A.1). Errors name the element (path of tags and items), the line and the reason.</summary>
internal sealed class XmlDatasetReader
{
    private readonly DicomXmlOptions _options;
    private readonly PathTracker _path = new();
    private readonly ElementFactory _factory;

    public XmlDatasetReader(DicomXmlOptions options)
    {
        _options = options;
        _factory = new ElementFactory(_path);
    }

    public DicomDataset ReadDocument(XmlReader reader)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Load(reader, LoadOptions.PreserveWhitespace | LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            throw new DicomFormatException("", $"malformed XML at line {ex.LineNumber}, position {ex.LinePosition}: {ex.Message}", ex);
        }
        var root = doc.Root!;
        if (root.Name.LocalName != "NativeDicomModel")
            throw new DicomFormatException("", $"the root element is <{root.Name.LocalName}>, not <NativeDicomModel> (PS3.19 A.1)");
        var ds = ReadAttributes(root);
        _factory.FinishCharacterSet(ds);
        return ds;
    }

    private DicomDataset ReadAttributes(XElement parent)
    {
        var ds = new DicomDataset();
        foreach (var a in parent.Elements())
        {
            if (a.Name.LocalName != "DicomAttribute") throw Error(a, $"unexpected <{a.Name.LocalName}>: a data set holds <DicomAttribute> elements");
            var tagText = (string?)a.Attribute("tag");
            if (tagText is not { Length: 8 } || !uint.TryParse(tagText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
                throw Error(a, $"tag=\"{tagText}\" is not 8 hexadecimal digits GGGGEEEE (PS3.19 A.1.1)");
            var tag = new DicomTag(value);
            _path.Enter(tag);
            tag = ResolvePrivateTag(ds, tag, (string?)a.Attribute("privateCreator"));
            ds.Add(ReadAttribute(a, tag));
            _path.Leave();
        }
        return ds;
    }

    /// <summary>
    /// A private element names its creator (PS3.19 A.1.1); when the block its tag points at belongs to another creator,
    /// or to none, it moves to the creator's block (reserved if needed), as PS3.5 7.8.1 allows blocks to be renumbered.
    /// </summary>
    private static DicomTag ResolvePrivateTag(DicomDataset ds, DicomTag tag, string? creator)
    {
        if (string.IsNullOrEmpty(creator) || !tag.IsPrivate || tag.Element < 0x1000) return tag;
        if (ds.GetString(tag.PrivateCreatorTag) == creator) return tag;
        return ds.GetPrivateTag(tag.Group, creator, (byte)tag.Element);
    }

    private DicomElement ReadAttribute(XElement a, DicomTag tag)
    {
        var vrText = (string?)a.Attribute("vr");
        VR vr;
        if (vrText == null) vr = a.Elements().Any(c => c.Name.LocalName == "Item") ? VR.SQ : DicomDictionary.ImpliedVR(tag);
        else if (!VR.TryParse(vrText, out vr)) throw Error(a, $"vr=\"{vrText}\" is not a VR of PS3.5 Table 6.2-1");

        var items = new List<XElement>();
        var values = new List<XElement>();
        XElement? inline = null, bulk = null;
        foreach (var c in a.Elements())
        {
            switch (c.Name.LocalName)
            {
                case "Item": items.Add(c); break;
                case "Value" or "PersonName": values.Add(c); break;
                case "InlineBinary": inline = c; break;
                case "BulkData": bulk = c; break;
                default: throw Error(c, $"unexpected <{c.Name.LocalName}> in a DicomAttribute (PS3.19 A.1.1)");
            }
        }
        if ((items.Count > 0 ? 1 : 0) + (values.Count > 0 ? 1 : 0) + (inline != null ? 1 : 0) + (bulk != null ? 1 : 0) > 1)
            throw Error(a, "a DicomAttribute holds one kind of content: Item, Value/PersonName, InlineBinary or BulkData");
        if (vr == VR.SQ)
        {
            if (values.Count > 0 || inline != null || bulk != null) throw Error(a, "a sequence (SQ) holds <Item> elements only");
            var datasets = new List<DicomDataset>();
            foreach (var (item, index) in Numbered(items))
            {
                _path.EnterItem(index);
                datasets.Add(item == null ? new DicomDataset() : ReadAttributes(item));
                _path.LeaveItem();
            }
            return new DicomSequence(tag, datasets);
        }
        if (items.Count > 0) throw Error(a, $"<Item> elements belong to SQ attributes, not {vr}");
        if (inline != null)
        {
            try
            {
                return _factory.Binary(tag, vr, Convert.FromBase64String(inline.Value));
            }
            catch (FormatException ex)
            {
                throw Error(inline, "<InlineBinary> is not valid base64", ex);
            }
        }
        if (bulk != null)
        {
            var uri = (string?)bulk.Attribute("uri") ?? throw Error(bulk, "<BulkData> has no uri attribute");
            return new DicomElement(tag, vr, _options.BulkDataResolver?.Invoke(uri) ?? new BulkDataUriBuffer(uri));
        }
        if (values.Count == 0) return new DicomElement(tag, vr, DicomBuffer.Empty);
        var texts = Numbered(values).Select(p => p.Element == null ? null : vr == VR.PN ? ReadPersonName(p.Element) : p.Element.Value).ToList();
        if (vr.IsString) return _factory.Text(tag, vr, texts);
        try
        {
            return _factory.Numbers(tag, vr, texts);
        }
        catch (DicomFormatException ex)
        {
            throw Error(a, ex.Reason, ex);
        }
    }

    /// <summary>Values and items by their number attribute (1-based, PS3.19 A.1.1); gaps are empty values.</summary>
    private IEnumerable<(XElement? Element, int Index)> Numbered(List<XElement> elements)
    {
        var byIndex = new SortedDictionary<int, XElement>();
        var next = 1;
        foreach (var e in elements)
        {
            var text = (string?)e.Attribute("number");
            var n = next;
            if (text != null && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n < 1 || n > 1_000_000))
                throw Error(e, $"number=\"{text}\" is not a positive integer");
            if (!byIndex.TryAdd(n, e)) throw Error(e, $"number=\"{n}\" appears twice");
            next = n + 1;
        }
        var count = byIndex.Count == 0 ? 0 : byIndex.Keys.Max();
        for (var i = 1; i <= count; i++) yield return (byIndex.GetValueOrDefault(i), i - 1);
    }

    /// <summary>PersonName: groups of components by name (PS3.19 A.1.5); absent components and groups are empty.</summary>
    private string ReadPersonName(XElement pn)
    {
        var groups = new string?[PersonNameGroups.GroupNames.Length];
        foreach (var g in pn.Elements())
        {
            var gi = Array.IndexOf(PersonNameGroups.GroupNames, g.Name.LocalName);
            if (gi < 0) throw Error(g, $"unexpected <{g.Name.LocalName}> in PersonName: expected Alphabetic, Ideographic or Phonetic");
            var components = new string?[PersonNameGroups.ComponentNames.Length];
            foreach (var c in g.Elements())
            {
                var ci = Array.IndexOf(PersonNameGroups.ComponentNames, c.Name.LocalName);
                if (ci < 0) throw Error(c, $"unexpected <{c.Name.LocalName}> in {g.Name.LocalName}: expected FamilyName, GivenName, MiddleName, NamePrefix or NameSuffix");
                components[ci] = c.Value;
            }
            var last = Array.FindLastIndex(components, x => x != null);
            for (var i = 0; i < last; i++) components[i] ??= "";
            groups[gi] = PersonNameGroups.Join(components, '^');
        }
        var lastGroup = Array.FindLastIndex(groups, x => x != null);
        for (var i = 0; i < lastGroup; i++) groups[i] ??= "";
        return PersonNameGroups.Join(groups, '=');
    }

    private DicomFormatException Error(XElement at, string reason, Exception? inner = null)
    {
        var line = ((IXmlLineInfo)at).HasLineInfo() ? $" (line {((IXmlLineInfo)at).LineNumber})" : "";
        return new DicomFormatException(_path.ToString(), reason + line, inner);
    }
}
