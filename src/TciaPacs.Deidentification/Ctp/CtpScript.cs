using System.Xml.Linq;
using TciaPacs.Dicom;

namespace TciaPacs.Deidentification.Ctp;

/// <summary>
/// An RSNA CTP DicomAnonymizer script (the XML TCIA contributors use): <c>&lt;p t="NAME"&gt;</c> parameters,
/// <c>&lt;e en="T" t="ggggeeee" n="Name"&gt;script&lt;/e&gt;</c> element rules, <c>&lt;k en="T" t="gggg"&gt;</c> groups kept
/// and <c>&lt;r en="T" t="privategroups|curves|overlays|unspecifiedelements"&gt;</c> removals. Disabled entries
/// (<c>en="F"</c>) are ignored, as CTP does. Every function is checked when the script is loaded.
/// </summary>
public sealed class CtpScript
{
    public IReadOnlyDictionary<string, string> Parameters { get; }
    public IReadOnlyDictionary<uint, CtpExpression> Elements { get; }
    public IReadOnlySet<ushort> KeptGroups { get; }
    public bool RemovePrivateGroups { get; }
    public bool RemoveCurves { get; }
    public bool RemoveOverlays { get; }
    public bool RemoveUnspecifiedElements { get; }

    private CtpScript(Dictionary<string, string> parameters, Dictionary<uint, CtpExpression> elements, HashSet<ushort> kept, HashSet<string> removals)
    {
        Parameters = parameters;
        Elements = elements;
        KeptGroups = kept;
        RemovePrivateGroups = removals.Contains("privategroups");
        RemoveCurves = removals.Contains("curves");
        RemoveOverlays = removals.Contains("overlays");
        RemoveUnspecifiedElements = removals.Contains("unspecifiedelements");
    }

    public static CtpScript Load(string path) => Parse(File.ReadAllText(path), path);

    public static CtpScript Parse(string xml, string source = "(script)")
    {
        XElement root;
        try { root = XElement.Parse(xml); }
        catch (System.Xml.XmlException ex) { throw new FormatException($"{source}: not XML: {ex.Message}", ex); }
        if (root.Name.LocalName != "script") throw new FormatException($"{source}: the root element is <{root.Name.LocalName}>, not <script>");
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var elements = new Dictionary<uint, CtpExpression>();
        var kept = new HashSet<ushort>();
        var removals = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var x in root.Elements())
        {
            var enabled = (string?)x.Attribute("en") is null or "T" or "t";
            var t = ((string?)x.Attribute("t") ?? "").Trim();
            switch (x.Name.LocalName)
            {
                case "p":
                    parameters[t.TrimStart('@')] = x.Value;
                    break;
                case "e" when enabled:
                    if (!TryParseTag(t, out var tag)) throw new FormatException($"{source}: <e t=\"{t}\">: not a tag");
                    try { elements[tag.Value] = CtpExpression.Parse(x.Value); }
                    catch (FormatException ex) { throw new FormatException($"{source}: <e t=\"{t}\">: {ex.Message}", ex); }
                    break;
                case "k" when enabled:
                    if (t.Length == 4 && ushort.TryParse(t, System.Globalization.NumberStyles.HexNumber, null, out var g)) kept.Add(g);
                    else throw new FormatException($"{source}: <k t=\"{t}\">: expected a group (4 hex digits)");
                    break;
                case "r" when enabled:
                    if (t is not ("privategroups" or "curves" or "overlays" or "unspecifiedelements"))
                        throw new FormatException($"{source}: <r t=\"{t}\">: unknown removal (privategroups, curves, overlays, unspecifiedelements)");
                    removals.Add(t);
                    break;
            }
        }
        return new CtpScript(parameters, elements, kept, removals);
    }

    /// <summary>CTP's element name forms: ggggeeee, (gggg,eeee), [ggggeeee], [gggg,eeee], or a keyword.</summary>
    public static bool TryParseTag(string text, out DicomTag tag)
    {
        var s = text.Trim().Trim('[', ']');
        return DicomTag.TryParse(s, out tag);
    }
}
