using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using TciaPacs.Dicom;

namespace TciaPacs.Deidentification.Ctp;

/// <summary>
/// Applies a <see cref="CtpScript"/> as CTP's DicomAnonymizer does: element scripts replace values; <c>@keep()</c>
/// protects an element from the global removals; <c>privategroups</c>, <c>curves</c> (50xx), <c>overlays</c> (60xx)
/// and <c>unspecifiedelements</c> remove what no script names unless its group is kept (<c>&lt;k&gt;</c>). Hashes are
/// CTP's own (MD5 as a decimal number, unkeyed), so a site's script gives the UIDs and IDs CTP would. Scripts apply
/// at every depth of the data set (an element named in a sequence item is processed there too).
/// </summary>
public sealed class CtpAnonymizer(CtpScript script, byte[]? secret = null, string collection = "default", IPseudonymMap? map = null) : IInstanceDeidentifier
{
    private enum Kind { Value, Keep, Remove, Quarantine }

    private readonly record struct Outcome(Kind Kind, string Value = "");

    private sealed class Run(DicomDataset root, OriginalIdentifiers original)
    {
        public DicomDataset Root { get; } = root;
        public OriginalIdentifiers Original { get; } = original;
        public List<DeidentificationEdit> Edits { get; } = [];
        public string? Quarantine { get; set; }
    }

    public CtpScript Script => script;

    public DeidentificationResult Deidentify(DicomDataset dataset)
    {
        _ = secret; // CTP's functions are unkeyed by design; the secret is kept for symmetry with the native profile.
        var ds = dataset.Clone();
        var run = new Run(ds, OriginalIdentifiers.From(dataset));
        CreateRequired(ds, run);
        Process(ds, "", run);
        if (map != null)
        {
            var originalId = dataset.GetString(DicomTags.PatientID) ?? "";
            map.GetOrAddPatient(collection, originalId, _ => new PatientPseudonym(ds.GetString(DicomTags.PatientID) ?? "", ds.GetString(DicomTags.PatientName) ?? "", 0));
        }
        return new DeidentificationResult(ds, run.Original, run.Edits) { QuarantineReason = run.Quarantine, Pseudonym = ds.GetString(DicomTags.PatientID) };
    }

    /// <summary>@always() and @require() create their element when it is missing (top level only, as in CTP).</summary>
    private void CreateRequired(DicomDataset ds, Run run)
    {
        foreach (var (tagValue, expr) in script.Elements)
        {
            var tag = new DicomTag(tagValue);
            if (ds.Contains(tag)) continue;
            var creator = expr.Nodes.OfType<CtpExpression.Call>().FirstOrDefault(c => c.Name is "always" or "require");
            if (creator == null) continue;
            string value;
            if (creator.Name == "require")
                value = creator.Arguments.Count switch
                {
                    0 => "",
                    1 => Resolve(creator.Arguments[0], ds, null, run),
                    _ => Resolve(creator.Arguments[0], ds, null, run) is { Length: > 0 } v ? v : Resolve(creator.Arguments[1], ds, null, run),
                };
            else
            {
                var o = Evaluate(expr, ds, null, run);
                if (o.Kind != Kind.Value) continue;
                value = o.Value;
            }
            ds.AddOrUpdate(tag, ds.ResolveVR(tag) is var vr && vr == VR.UN ? VR.LO : vr, value);
            run.Edits.Add(new(tag.ToString(), "ctp create"));
        }
    }

    private void Process(DicomDataset ds, string path, Run run)
    {
        foreach (var e in ds.ToList())
        {
            var p = path + e.Tag;
            var tag = e.Tag;
            if (tag.IsGroupLength) { ds.Remove(tag); continue; }
            var keptGroup = script.KeptGroups.Contains(tag.Group);
            if (script.Elements.TryGetValue(tag.Value, out var expr))
            {
                var o = Evaluate(expr, ds, e, run);
                switch (o.Kind)
                {
                    case Kind.Keep:
                        break;
                    case Kind.Remove:
                        ds.Remove(tag);
                        run.Edits.Add(new(p, "ctp @remove"));
                        continue;
                    case Kind.Quarantine:
                        run.Quarantine ??= $"the CTP script asks to quarantine ({tag})";
                        break;
                    default:
                        // A sequence cannot take text: @empty() gives it zero items; other text keeps it (its items are processed).
                        if (e is DicomSequence)
                        {
                            if (!expr.Nodes.OfType<CtpExpression.Call>().Any(c => c.Name == "empty")) break;
                            ds.Add(new DicomSequence(tag));
                            run.Edits.Add(new(p, "ctp @empty"));
                            continue;
                        }
                        if (e.VR == VR.UN || !ds.ValueVR(e).IsString) ValueEdits.SetText(ds, e, o.Value);
                        else ds.AddOrUpdate(tag, e.VR, o.Value);
                        run.Edits.Add(new(p, "ctp script"));
                        continue;
                }
                if (e is DicomSequence keptSq) Recurse(keptSq, p, run);
                continue;
            }
            if (tag.IsPrivate && script.RemovePrivateGroups && !keptGroup) { Remove(ds, tag, p, "privategroups", run); continue; }
            if ((tag.Group & 0xFF01) == 0x6000 && script.RemoveOverlays && !keptGroup) { Remove(ds, tag, p, "overlays", run); continue; }
            if ((tag.Group & 0xFF01) == 0x5000 && script.RemoveCurves && !keptGroup) { Remove(ds, tag, p, "curves", run); continue; }
            if (script.RemoveUnspecifiedElements && !keptGroup && !tag.IsPrivate && !Essential(tag)) { Remove(ds, tag, p, "unspecifiedelements", run); continue; }
            if (e is DicomSequence sq) Recurse(sq, p, run);
        }
        PrivateBlocks.RemoveEmpty(ds, t => run.Edits.Add(new(path + t, "ctp private creator")));
    }

    // What unspecifiedelements never removes: the character set, the SOP Class, the pixel description and data.
    private static bool Essential(DicomTag tag) =>
        tag == DicomTags.SpecificCharacterSet || tag == DicomTags.SOPClassUID || tag.Group is 0x0002 or 0x0028 or 0x7FE0;

    private static void Remove(DicomDataset ds, DicomTag tag, string p, string why, Run run)
    {
        ds.Remove(tag);
        run.Edits.Add(new(p, "ctp " + why));
    }

    private void Recurse(DicomSequence sq, string p, Run run)
    {
        for (var i = 0; i < sq.Items.Count; i++) Process(sq.Items[i], $"{p}[{i}].", run);
    }

    private Outcome Evaluate(CtpExpression expr, DicomDataset ds, DicomElement? current, Run run)
    {
        var sb = new StringBuilder();
        var onlyMarkers = true;
        foreach (var node in expr.Nodes)
        {
            if (node is CtpExpression.Literal lit) { sb.Append(lit.Text); onlyMarkers = false; continue; }
            var call = (CtpExpression.Call)node;
            string Arg(int i) => i < call.Arguments.Count ? Resolve(call.Arguments[i], ds, current, run) : "";
            string Raw(int i) => i < call.Arguments.Count ? call.Arguments[i].Text : "";
            if (call.Name is "always" or "require") continue;
            onlyMarkers = false;
            switch (call.Name)
            {
                case "keep": return new(Kind.Keep);
                case "remove": return new(Kind.Remove);
                case "quarantine": return new(Kind.Quarantine);
                case "empty": break;
                case "blank": sb.Append(' ', int.TryParse(Arg(0), out var n) ? n : 0); break;
                case "param": sb.Append(Arg(0)); break;
                case "contents":
                    var value = Arg(0);
                    if (call.Arguments.Count > 1) value = Regex.Replace(value, Arg(1), call.Arguments.Count > 2 ? Arg(2) : "");
                    sb.Append(value);
                    break;
                case "hash":
                    var h = Md5Decimal(Arg(0));
                    sb.Append(int.TryParse(Arg(1), out var max) && max > 0 && h.Length > max ? h[..max] : h);
                    break;
                case "hashptid":
                    var id = Arg(1);
                    var hp = Md5Decimal(Arg(0) + id);
                    sb.Append(int.TryParse(Arg(2), out var maxp) && maxp > 0 && hp.Length > maxp ? hp[..maxp] : hp);
                    break;
                case "hashuid":
                    sb.Append(HashUid(Arg(0), Arg(1)));
                    break;
                case "incrementdate":
                    sb.Append(IncrementDate(Arg(0), int.TryParse(Arg(1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var days) ? days : 0));
                    break;
                case "date": sb.Append(DateTime.Now.ToString($"yyyy{Raw(0)}MM{Raw(0)}dd", CultureInfo.InvariantCulture)); break;
                case "time": sb.Append(DateTime.Now.ToString($"HH{Raw(0)}mm{Raw(0)}ss", CultureInfo.InvariantCulture)); break;
                case "lowercase": sb.Append(Arg(0).ToLowerInvariant()); break;
                case "uppercase": sb.Append(Arg(0).ToUpperInvariant()); break;
                case "truncate":
                    var t = Arg(0);
                    var k = int.TryParse(Arg(1), out var kk) ? kk : t.Length;
                    sb.Append(k >= 0 ? t[..Math.Min(k, t.Length)] : t[Math.Max(0, t.Length + k)..]);
                    break;
                case "append":
                    var existing = current != null ? ds.GetString(current) : "";
                    var added = call.Clauses.Count > 0 ? Evaluate(call.Clauses[0], ds, current, run) : new Outcome(Kind.Value, "");
                    sb.Append(existing.Length == 0 ? added.Value : existing + "\\" + added.Value);
                    break;
                case "if":
                    var branch = Condition(call, ds, current, run) ? 0 : 1;
                    if (branch < call.Clauses.Count)
                    {
                        var o = Evaluate(call.Clauses[branch], ds, current, run);
                        if (o.Kind != Kind.Value) return o;
                        sb.Append(o.Value);
                    }
                    break;
            }
        }
        // A script of only @require()/@always() leaves an existing element as it is.
        return onlyMarkers && expr.Nodes.Count > 0 ? new(Kind.Keep) : new(Kind.Value, sb.ToString());
    }

    private bool Condition(CtpExpression.Call call, DicomDataset ds, DicomElement? current, Run run)
    {
        var name = call.Arguments.Count > 0 ? call.Arguments[0] : new CtpExpression.Argument("this", false);
        var exists = name.Text == "this" ? current != null : Find(ds, name.Text) != null;
        var value = Resolve(name, ds, current, run);
        var op = call.Arguments.Count > 1 ? call.Arguments[1].Text.ToLowerInvariant() : "exists";
        var operand = call.Arguments.Count > 2 ? Resolve(call.Arguments[2], ds, current, run) : "";
        return op switch
        {
            "exists" => exists,
            "isblank" => value.Trim().Length == 0,
            "equals" => string.Equals(value.Trim(), operand, StringComparison.Ordinal),
            "contains" => value.Contains(operand, StringComparison.OrdinalIgnoreCase),
            "matches" => Regex.IsMatch(value, "^(?:" + operand + ")$"),
            "greaterthan" => long.TryParse(new string(value.Where(char.IsDigit).ToArray()), out var a) && long.TryParse(new string(operand.Where(char.IsDigit).ToArray()), out var b) && a > b,
            _ => throw new FormatException($"@if: unknown condition '{op}'"),
        };
    }

    /// <summary>An argument's value: "this" (the element at hand), @PARAM, a quoted string, an element name (looked up here, then in the enclosing items), else the text itself.</summary>
    private string Resolve(CtpExpression.Argument arg, DicomDataset ds, DicomElement? current, Run run)
    {
        if (arg.Quoted) return arg.Text;
        var t = arg.Text;
        if (t == "this") return current != null ? SafeString(ds, current) : "";
        if (t.StartsWith('@')) return script.Parameters.TryGetValue(t[1..], out var p) ? p : "";
        if (t.Length > 0 && (char.IsLetter(t[0]) || t[0] is '(' or '[') && Find(ds, t) is { } found) return SafeString(found.Owner, found.Element);
        if (t.Length == 8 && uint.TryParse(t, NumberStyles.HexNumber, null, out _)) return Find(ds, t) is { } f ? SafeString(f.Owner, f.Element) : "";
        return t;
    }

    private static (DicomDataset Owner, DicomElement Element)? Find(DicomDataset ds, string name)
    {
        if (!CtpScript.TryParseTag(name, out var tag)) return null;
        for (var d = ds; d != null; d = d.Parent)
            if (d.Get(tag) is { } e) return (d, e);
        return null;
    }

    private static string SafeString(DicomDataset ds, DicomElement e)
    {
        try { return e is DicomSequence ? "" : ds.GetString(e); }
        catch (Exception ex) when (ex is FormatException or ArgumentException) { return ""; }
    }

    private static string Md5Decimal(string value) =>
        new BigInteger(MD5.HashData(Encoding.UTF8.GetBytes(value)), isUnsigned: true, isBigEndian: true).ToString(CultureInfo.InvariantCulture);

    /// <summary>CTP's @hashuid: the root, a dot, the MD5 of the UID as a decimal number; at most 64 characters.</summary>
    public static string HashUid(string root, string uid)
    {
        if (uid.Trim().Length == 0) return "";
        var prefix = root.Trim();
        if (prefix.Length > 0 && !prefix.EndsWith('.')) prefix += ".";
        var result = prefix + Md5Decimal(uid.Trim());
        return result.Length > 64 ? result[..64] : result;
    }

    /// <summary>CTP's @incrementdate: a DA (or the date of a DT) moved by <paramref name="days"/>; what is not a date becomes empty.</summary>
    public static string IncrementDate(string value, int days)
    {
        var v = value.Trim();
        if (v.Length < 8 || !DateOnly.TryParseExact(v[..8], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return "";
        return d.AddDays(days).ToString("yyyyMMdd", CultureInfo.InvariantCulture) + v[8..];
    }
}
