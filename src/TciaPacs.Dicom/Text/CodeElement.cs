using System.Text;

namespace TciaPacs.Dicom.Text;

/// <summary>One code element of PS3.3 Tables C.12-2 to C.12-5: its escape sequence, where it lives (G0/G1) and how its bytes map to text.</summary>
internal sealed class CodeElement
{
    private readonly Func<Encoding>? _encoding;
    private Encoding? _resolved;

    private CodeElement(string name, byte[] escape, bool g0, int bytesPerChar, Func<Encoding>? encoding, Kind kind)
    {
        Name = name;
        Escape = escape;
        G0 = g0;
        BytesPerChar = bytesPerChar;
        _encoding = encoding;
        CharKind = kind;
    }

    private enum Kind { Ascii, Romaji, Katakana, SingleByteG1, EucG0, Euc3ByteG0, EucG1, Whole }

    public string Name { get; }
    public byte[] Escape { get; }
    public bool G0 { get; }
    public int BytesPerChar { get; }
    private Kind CharKind { get; }

    private Encoding Enc => _resolved ??= _encoding!();

    /// <summary>For single-valued, non-extension terms: the one encoding of the whole value.</summary>
    public Encoding? WholeValueEncoding => CharKind is Kind.Ascii or Kind.Romaji ? null : _encoding?.Invoke();

    public string DecodeRun(ReadOnlySpan<byte> bytes)
    {
        switch (CharKind)
        {
            case Kind.Ascii:
                return Encoding.ASCII.GetString(bytes);
            case Kind.Romaji:
            {
                // JIS X 0201 Roman: ASCII but for YEN SIGN and OVERLINE.
                var chars = new char[bytes.Length];
                for (var i = 0; i < bytes.Length; i++)
                    chars[i] = bytes[i] switch { 0x5C => '\u00A5', 0x7E => '\u203E', var b => (char)b };
                return new string(chars);
            }
            case Kind.Katakana:
            {
                var chars = new char[bytes.Length];
                for (var i = 0; i < bytes.Length; i++)
                    chars[i] = bytes[i] is >= 0xA1 and <= 0xDF ? (char)(0xFF61 + bytes[i] - 0xA1) : '\uFFFD';
                return new string(chars);
            }
            case Kind.EucG0:
            {
                Span<byte> euc = bytes.Length <= 512 ? stackalloc byte[bytes.Length] : new byte[bytes.Length];
                for (var i = 0; i < bytes.Length; i++) euc[i] = (byte)(bytes[i] | 0x80);
                return Enc.GetString(euc);
            }
            case Kind.Euc3ByteG0:
            {
                // Code page 20932 holds JIS X 0212 as (row | 0x80, cell) rather than EUC-JP's 0x8F row|0x80 cell|0x80.
                var euc = new byte[bytes.Length / 2 * 2];
                for (var i = 0; i + 1 < bytes.Length; i += 2)
                {
                    euc[i] = (byte)(bytes[i] | 0x80);
                    euc[i + 1] = (byte)(bytes[i + 1] & 0x7F);
                }
                return Enc.GetString(euc);
            }
            default:
                return Enc.GetString(bytes);
        }
    }

    /// <summary>Encodes one character (a rune as a string) in this code element, if it has it.</summary>
    public bool TryEncode(string s, Span<byte> output, out int written)
    {
        written = 0;
        switch (CharKind)
        {
            case Kind.Ascii:
                if (s.Length == 1 && s[0] < 0x80) { output[0] = (byte)s[0]; written = 1; return true; }
                return false;
            case Kind.Romaji:
                if (s == "\u00A5") { output[0] = 0x5C; written = 1; return true; }
                if (s == "\u203E") { output[0] = 0x7E; written = 1; return true; }
                return false;
            case Kind.Katakana:
                if (s.Length == 1 && s[0] >= '\uFF61' && s[0] <= '\uFF9F') { output[0] = (byte)(s[0] - 0xFF61 + 0xA1); written = 1; return true; }
                return false;
        }
        byte[] bytes;
        try { bytes = Strict.GetBytes(s); }
        catch (EncoderFallbackException) { return false; }
        switch (CharKind)
        {
            case Kind.SingleByteG1:
                if (bytes.Length != 1 || bytes[0] < 0x80) return false;
                output[0] = bytes[0]; written = 1; return true;
            case Kind.EucG0:
                if (bytes.Length != 2 || bytes[0] < 0xA1 || bytes[1] < 0xA1) return false;
                output[0] = (byte)(bytes[0] & 0x7F); output[1] = (byte)(bytes[1] & 0x7F); written = 2; return true;
            case Kind.Euc3ByteG0:
                // JIS X 0212 in code page 20932: lead byte with the high bit, trail byte without (see DecodeRun).
                if (bytes.Length != 2 || bytes[0] < 0xA1 || bytes[1] is < 0x21 or > 0x7E) return false;
                output[0] = (byte)(bytes[0] & 0x7F); output[1] = bytes[1]; written = 2; return true;
            case Kind.EucG1:
                if (bytes.Length != 2 || bytes[0] < 0xA1 || bytes[1] < 0xA1) return false;
                output[0] = bytes[0]; output[1] = bytes[1]; written = 2; return true;
            default:
                if (bytes.Length > output.Length) return false;
                bytes.CopyTo(output); written = bytes.Length; return true;
        }
    }

    private Encoding? _strict;
    private Encoding Strict => _strict ??= Encoding.GetEncoding(Enc.CodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ReplacementFallback);

    /// <summary>The code element whose escape sequence starts <paramref name="bytes"/>.</summary>
    public static CodeElement? MatchEscape(ReadOnlySpan<byte> bytes, out int length)
    {
        foreach (var ce in WithEscapes)
        {
            if (ce.Escape.Length > 0 && bytes.StartsWith(ce.Escape))
            {
                length = ce.Escape.Length;
                return ce;
            }
        }
        length = 0;
        return null;
    }

    private static Encoding Cp(int codePage) => Encoding.GetEncoding(codePage);

    public static readonly CodeElement Ascii = new("ISO 2022 IR 6", [0x1B, 0x28, 0x42], true, 1, null, Kind.Ascii);
    public static readonly CodeElement Romaji = new("ISO 2022 IR 14", [0x1B, 0x28, 0x4A], true, 1, null, Kind.Romaji);
    public static readonly CodeElement Latin1Fallback = new("(Latin-1 fallback)", [], false, 1, () => Encoding.Latin1, Kind.SingleByteG1);

    private static CodeElement G1(string name, byte final, int codePage) =>
        new(name, [0x1B, 0x2D, final], false, 1, () => Cp(codePage), Kind.SingleByteG1);

    private static readonly CodeElement[] Iso2022 =
    [
        Ascii,
        G1("ISO 2022 IR 100", 0x41, 28591),
        G1("ISO 2022 IR 101", 0x42, 28592),
        G1("ISO 2022 IR 109", 0x43, 28593),
        G1("ISO 2022 IR 110", 0x44, 28594),
        G1("ISO 2022 IR 144", 0x4C, 28595),
        G1("ISO 2022 IR 127", 0x47, 28596),
        G1("ISO 2022 IR 126", 0x46, 28597),
        G1("ISO 2022 IR 138", 0x48, 28598),
        G1("ISO 2022 IR 148", 0x4D, 28599),
        G1("ISO 2022 IR 203", 0x62, 28605),
        G1("ISO 2022 IR 166", 0x54, 874),
        new("ISO 2022 IR 13", [0x1B, 0x29, 0x49], false, 1, () => Cp(932), Kind.Katakana),
        Romaji,
        new("ISO 2022 IR 87", [0x1B, 0x24, 0x42], true, 2, () => Cp(20932), Kind.EucG0),
        new("ISO 2022 IR 159", [0x1B, 0x24, 0x28, 0x44], true, 2, () => Cp(20932), Kind.Euc3ByteG0),
        new("ISO 2022 IR 149", [0x1B, 0x24, 0x29, 0x43], false, 2, () => Cp(949), Kind.EucG1),
        new("ISO 2022 IR 58", [0x1B, 0x24, 0x29, 0x41], false, 2, () => Cp(936), Kind.EucG1),
    ];

    private static readonly CodeElement[] WithEscapes = Iso2022.OrderByDescending(c => c.Escape.Length).ToArray();

    private static CodeElement Whole(string name, Func<Encoding> enc) => new(name, [], false, 1, enc, Kind.Whole);

    /// <summary>Every defined term of PS3.3 C.12.1.1.2, single-valued forms included.</summary>
    public static readonly Dictionary<string, CodeElement> ByTerm = BuildTerms();

    private static Dictionary<string, CodeElement> BuildTerms()
    {
        var d = Iso2022.ToDictionary(c => c.Name, StringComparer.Ordinal);
        d["ISO_IR 6"] = Ascii;
        foreach (var (ir, cp) in new[] { ("100", 28591), ("101", 28592), ("109", 28593), ("110", 28594), ("144", 28595), ("127", 28596), ("126", 28597), ("138", 28598), ("148", 28599), ("203", 28605), ("166", 874) })
            d["ISO_IR " + ir] = Whole("ISO_IR " + ir, () => Cp(cp));
        d["ISO_IR 13"] = Whole("ISO_IR 13", () => Cp(932));
        d["ISO_IR 192"] = Whole("ISO_IR 192", () => new UTF8Encoding(false));
        d["GB18030"] = Whole("GB18030", () => Cp(54936));
        d["GBK"] = Whole("GBK", () => Cp(936));
        return d;
    }

    public override string ToString() => Name;
}
