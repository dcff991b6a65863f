using System.Text;

namespace TciaPacs.Dicom.Text;

/// <summary>
/// Specific Character Set (0008,0005) decoding and encoding (PS3.5 6.1, PS3.3 C.12.1.1.2): every single-byte set,
/// UTF-8, GB18030, GBK, and ISO 2022 code extensions with escape sequences (IR 6, 13/14, 87, 159, 149, 58 and the
/// ISO 8859 G1 sets).
/// </summary>
public sealed class DicomCharacterSet
{
    static DicomCharacterSet() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private readonly CodeElement _initialG0;
    private readonly CodeElement? _initialG1;
    private readonly CodeElement[] _extensions; // the sets the value list allows, in order
    private readonly Encoding? _whole;           // non-ISO 2022 sets decode the whole value with one encoding

    private DicomCharacterSet(string[] terms, CodeElement g0, CodeElement? g1, CodeElement[] extensions, Encoding? whole, bool usesExtensions)
    {
        Terms = terms;
        _initialG0 = g0;
        _initialG1 = g1;
        _extensions = extensions;
        _whole = whole;
        UsesCodeExtensions = usesExtensions;
    }

    /// <summary>The defined terms as given in (0008,0005).</summary>
    public IReadOnlyList<string> Terms { get; }

    public bool UsesCodeExtensions { get; }

    /// <summary>The default repertoire (ISO-IR 6) used when (0008,0005) is absent or empty.</summary>
    public static readonly DicomCharacterSet Default = new([], CodeElement.Ascii, null, [CodeElement.Ascii], null, false);

    public bool IsDefault => Terms.Count == 0;

    /// <summary>Defined terms we do not know, which were read as the default repertoire instead.</summary>
    public IReadOnlyList<string> UnknownTerms { get; private init; } = [];

    /// <summary>Builds the character set of the values of (0008,0005). Unknown terms fall back to the default repertoire (and are reported in <see cref="UnknownTerms"/>), as dcmtk and pydicom do.</summary>
    public static DicomCharacterSet FromTerms(IReadOnlyList<string> values)
    {
        var terms = values.Select(v => v.Trim()).ToArray();
        if (terms.Length == 0 || terms.All(t => t.Length == 0)) return Default;
        var unknown = new List<string>();
        var first = NormalizeTerm(terms[0]);
        if (terms.Length == 1 && !first.StartsWith("ISO 2022", StringComparison.Ordinal))
        {
            // Single-value, non-extension sets: one encoding decodes the whole value.
            if (CodeElement.ByTerm.TryGetValue(first, out var single))
            {
                var whole = single.WholeValueEncoding;
                return new DicomCharacterSet(terms, single.G0 ? single : CodeElement.Ascii, single.G0 ? null : single, [single], whole, false) { UnknownTerms = unknown };
            }
            unknown.Add(terms[0]);
            return new DicomCharacterSet(terms, CodeElement.Ascii, null, [CodeElement.Ascii], null, false) { UnknownTerms = unknown };
        }

        var sets = new List<CodeElement>();
        CodeElement g0 = CodeElement.Ascii;
        CodeElement? g1 = null;
        for (var i = 0; i < terms.Length; i++)
        {
            var term = NormalizeTerm(terms[i]);
            if (term.Length == 0)
            {
                if (i == 0) sets.Add(CodeElement.Ascii);
                continue;
            }
            // A non-2022 term in a multi-valued list (e.g. "ISO_IR 100\ISO 2022 IR 87") is read as its 2022 form.
            if (!term.StartsWith("ISO 2022", StringComparison.Ordinal) && term.StartsWith("ISO_IR ", StringComparison.Ordinal))
                term = "ISO 2022 IR " + term["ISO_IR ".Length..];
            if (!CodeElement.ByTerm.TryGetValue(term, out var ce))
            {
                unknown.Add(terms[i]);
                continue;
            }
            if (ce.Name == "ISO 2022 IR 13")
            {
                // JIS X 0201: katakana in G1 and romaji in G0.
                sets.Add(CodeElement.Romaji);
                sets.Add(ce);
                if (i == 0) { g0 = CodeElement.Romaji; g1 = ce; }
                continue;
            }
            sets.Add(ce);
            if (i == 0)
            {
                if (ce.G0) g0 = ce; else g1 = ce;
            }
        }
        if (!sets.Contains(CodeElement.Ascii)) sets.Insert(0, CodeElement.Ascii);
        return new DicomCharacterSet(terms, g0, g1, sets.ToArray(), null, true) { UnknownTerms = unknown };
    }

    private static string NormalizeTerm(string term)
    {
        // Common misspellings that dcmtk and pydicom accept: "ISO_IR_100", "ISO IR 100", "ISO-IR 100".
        var t = term.Trim().ToUpperInvariant();
        if (t.StartsWith("ISO_IR_", StringComparison.Ordinal) || t.StartsWith("ISO IR ", StringComparison.Ordinal) || t.StartsWith("ISO-IR ", StringComparison.Ordinal)
            || t.StartsWith("ISO-IR_", StringComparison.Ordinal))
            t = "ISO_IR " + t[7..].TrimStart('_', ' ');
        if (t.StartsWith("ISO_2022_IR_", StringComparison.Ordinal)) t = "ISO 2022 IR " + t[12..];
        return t;
    }

    /// <summary>Decodes a text value. PN resets the code sets at '^' and '=' too (PS3.5 6.1.2.5.3).</summary>
    public string Decode(ReadOnlySpan<byte> bytes, bool isPersonName = false)
    {
        if (bytes.IsEmpty) return "";
        if (_whole != null) return _whole.GetString(bytes);
        if (!UsesCodeExtensions) return DecodeAsciiFast(bytes);
        return DecodeIso2022(bytes, isPersonName);
    }

    private static string DecodeAsciiFast(ReadOnlySpan<byte> bytes)
    {
        // The default repertoire is ISO 646; bytes above 0x7F are not allowed but are kept as Latin-1 rather than lost,
        // which is what dcmtk shows and what pydicom does with its fallback.
        foreach (var b in bytes)
            if (b >= 0x80) return Encoding.Latin1.GetString(bytes);
        return Encoding.ASCII.GetString(bytes);
    }

    private string DecodeIso2022(ReadOnlySpan<byte> bytes, bool isPersonName)
    {
        var sb = new StringBuilder(bytes.Length);
        var g0 = _initialG0;
        var g1 = _initialG1;
        var i = 0;
        while (i < bytes.Length)
        {
            var b = bytes[i];
            if (b == 0x1B)
            {
                var ce = CodeElement.MatchEscape(bytes[i..], out var escLength);
                if (ce != null)
                {
                    if (ce.G0) g0 = ce; else g1 = ce;
                    i += escLength;
                    continue;
                }
                sb.Append('\u001b');
                i++;
                continue;
            }
            if (b < 0x80)
            {
                if (g0.BytesPerChar == 2)
                {
                    var run = i;
                    while (run + 1 < bytes.Length && bytes[run] != 0x1B && bytes[run] >= 0x21 && bytes[run] < 0x80) run += 2;
                    if (run > i)
                    {
                        sb.Append(g0.DecodeRun(bytes[i..run]));
                        i = run;
                        continue;
                    }
                    // A control character (CR, LF, TAB…) or a lone byte: fall through as ASCII.
                }
                var end = i;
                while (end < bytes.Length && bytes[end] < 0x80 && bytes[end] != 0x1B && !IsDelimiter(bytes[end], isPersonName)) end++;
                if (end > i)
                {
                    var cs = g0.BytesPerChar == 2 ? CodeElement.Ascii : g0;
                    sb.Append(cs.DecodeRun(bytes[i..end]));
                    i = end;
                    continue;
                }
                // Delimiter: the code sets return to their initial state (PS3.5 6.1.2.5.3).
                sb.Append((char)b);
                g0 = _initialG0;
                g1 = _initialG1;
                i++;
                continue;
            }
            // G1 (high bit set).
            var stop = i;
            while (stop < bytes.Length && bytes[stop] >= 0x80) stop++;
            sb.Append((g1 ?? CodeElement.Latin1Fallback).DecodeRun(bytes[i..stop]));
            i = stop;
        }
        return sb.ToString();
    }

    private static bool IsDelimiter(byte b, bool personName) =>
        b is (byte)'\\' or 0x0D or 0x0A or 0x09 or 0x0C || (personName && b is (byte)'^' or (byte)'=');

    /// <summary>Encodes text. ISO 2022 sets get escape sequences where a character needs another code element.</summary>
    public byte[] Encode(string text, bool isPersonName = false)
    {
        if (text.Length == 0) return [];
        if (_whole != null) return _whole.GetBytes(text);
        if (!UsesCodeExtensions)
        {
            var ascii = true;
            foreach (var c in text) if (c >= 0x80) { ascii = false; break; }
            return ascii ? Encoding.ASCII.GetBytes(text) : Encoding.Latin1.GetBytes(text);
        }
        return EncodeIso2022(text, isPersonName);
    }

    private byte[] EncodeIso2022(string text, bool isPersonName)
    {
        var output = new List<byte>(text.Length * 2);
        var g0 = _initialG0;
        var g1 = _initialG1;
        Span<byte> buf = stackalloc byte[8];
        foreach (var rune in text.EnumerateRunes())
        {
            var s = rune.ToString();
            if (rune.Value < 0x80)
            {
                var isDelim = rune.Value is '\\' or '\r' or '\n' or '\t' or '\f' || (isPersonName && rune.Value is '^' or '=');
                if (g0.BytesPerChar == 2 || (g0 != CodeElement.Ascii && g0 != _initialG0) || (isDelim && g0 != _initialG0))
                {
                    // Return to a single-byte G0 before ASCII text, and to value 1's set before delimiters (PS3.5
                    // 6.1.2.5.3): with ISO 2022 IR 13 first that is JIS X 0201 romaji, ESC ( J (PS3.5 H.3.2). Romaji
                    // differs from ASCII only at '\' and '~'; a '\' is read as the delimiter in either set.
                    var back = _initialG0 == CodeElement.Romaji && rune.Value != '~' ? CodeElement.Romaji : CodeElement.Ascii;
                    if (!(g0 == CodeElement.Romaji && !isDelim && rune.Value != '\\' && rune.Value != '~') && g0 != back)
                    {
                        output.AddRange(back.Escape);
                        g0 = back;
                    }
                }
                output.Add((byte)rune.Value);
                if (isDelim) { g0 = _initialG0; g1 = _initialG1; }
                continue;
            }
            CodeElement? chosen = null;
            var n = 0;
            // Prefer the active sets, then the others in the order (0008,0005) lists them.
            foreach (var ce in ActiveFirst(g0, g1))
            {
                if (ce == CodeElement.Ascii) continue;
                if (ce.TryEncode(s, buf, out n)) { chosen = ce; break; }
            }
            if (chosen == null)
            {
                output.Add((byte)'?');
                continue;
            }
            if (chosen.G0 && chosen != g0) { output.AddRange(chosen.Escape); g0 = chosen; }
            else if (!chosen.G0 && chosen != g1) { output.AddRange(chosen.Escape); g1 = chosen; }
            for (var k = 0; k < n; k++) output.Add(buf[k]);
        }
        // The value ends in value 1's G0 set (PS3.5 6.1.2.5.3).
        if (g0 != _initialG0 && g0.BytesPerChar == 2) output.AddRange(_initialG0.BytesPerChar == 1 ? _initialG0.Escape : CodeElement.Ascii.Escape);
        return output.ToArray();
    }

    private IEnumerable<CodeElement> ActiveFirst(CodeElement g0, CodeElement? g1)
    {
        yield return g0;
        if (g1 != null) yield return g1;
        foreach (var ce in _extensions)
            if (ce != g0 && ce != g1) yield return ce;
    }

    public override string ToString() => IsDefault ? "ISO_IR 6 (default)" : string.Join('\\', Terms);
}
