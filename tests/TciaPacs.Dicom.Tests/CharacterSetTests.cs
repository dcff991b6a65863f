using System.Text;
using System.Text.Json;
using NUnit.Framework;
using TciaPacs.Dicom.Text;
using TciaPacs.Dicom.Values;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Tests;

/// <summary>
/// Specific Character Set (PS3.3 C.12.1.1.2, PS3.5 6.1): every defined term decodes and encodes; the standard's own
/// examples (PS3.5 Annexes H, I, J, K) give their exact bytes; the corpus' charset files decode as pydicom decodes them.
/// </summary>
[TestFixture]
public sealed class CharacterSetTests
{
    static CharacterSetTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static DicomCharacterSet Set(params string[] terms) => DicomCharacterSet.FromTerms(terms);

    private static DicomDataset Utf8(string name, string description = "Thorax \u00e9t\u00e9")
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SpecificCharacterSet, VR.CS, "ISO_IR 192");
        ds.AddOrUpdate(DicomTags.PatientName, VR.PN, name);
        ds.AddOrUpdate(DicomTags.StudyDescription, VR.LO, description);
        return ds;
    }

    [Test]
    public void A_data_set_converts_to_another_character_set_only_when_nothing_is_lost()
    {
        var latin = Utf8("M\u00fcller^J\u00fcrgen");
        Assert.That(CharacterSetConversion.TryConvert(latin, ["ISO_IR 100"]), Is.True);
        Assert.That(latin.GetString(DicomTags.SpecificCharacterSet), Is.EqualTo("ISO_IR 100"));
        Assert.That(TrimPadding(latin.Get(DicomTags.PatientName)!.Buffer.GetBytes().ToArray()), Is.EqualTo(Encoding.Latin1.GetBytes("M\u00fcller^J\u00fcrgen")));
        Assert.That(latin.GetString(DicomTags.StudyDescription), Is.EqualTo("Thorax \u00e9t\u00e9"));

        var japanese = Utf8("\u5c71\u7530^\u592a\u90ce");
        var before = japanese.Get(DicomTags.PatientName)!.Buffer.GetBytes().ToArray();
        Assert.That(CharacterSetConversion.TryConvert(japanese, ["ISO_IR 100"]), Is.False);
        Assert.That(japanese.GetString(DicomTags.SpecificCharacterSet), Is.EqualTo("ISO_IR 192"));
        Assert.That(japanese.Get(DicomTags.PatientName)!.Buffer.GetBytes().ToArray(), Is.EqualTo(before), "unchanged");
        Assert.That(CharacterSetConversion.TryConvert(japanese, ["", "ISO 2022 IR 87"]), Is.False, "JIS X 0208 has no \u00e9 for the description");
        var jis = Utf8("\u5c71\u7530^\u592a\u90ce", "Thorax CT");
        Assert.That(CharacterSetConversion.TryConvert(jis, ["", "ISO 2022 IR 87"]), Is.True);
        Assert.That(jis.GetString(DicomTags.PatientName), Is.EqualTo("\u5c71\u7530^\u592a\u90ce"));

        // Text in an item converts with its data set; an item naming its own set, or an unknown VR with non-ASCII bytes, stops it.
        var withItem = Utf8("M\u00fcller");
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.CodeMeaning, VR.LO, "R\u00f6ntgen");
        withItem.AddOrUpdate(DicomTags.ProcedureCodeSequence, item);
        Assert.That(CharacterSetConversion.TryConvert(withItem, ["ISO_IR 100"]), Is.True);
        Assert.That(((DicomSequence)withItem.Get(DicomTags.ProcedureCodeSequence)!).Items[0].GetString(DicomTags.CodeMeaning), Is.EqualTo("R\u00f6ntgen"));
        var ownSet = Utf8("M\u00fcller");
        var ownItem = new DicomDataset();
        ownItem.AddOrUpdate(DicomTags.SpecificCharacterSet, VR.CS, "ISO_IR 192");
        ownSet.AddOrUpdate(DicomTags.ProcedureCodeSequence, ownItem);
        Assert.That(CharacterSetConversion.TryConvert(ownSet, ["ISO_IR 100"]), Is.False);
        var unknownVr = Utf8("M\u00fcller");
        unknownVr.AddOrUpdate(new DicomTag(0x0009, 0x1010), VR.UN, Encoding.UTF8.GetBytes("\u00e9"));
        Assert.That(CharacterSetConversion.TryConvert(unknownVr, ["ISO_IR 100"]), Is.False);
        Assert.That(CharacterSetConversion.TryConvert(Utf8("x"), ["NOT A SET"]), Is.False);
    }

    private static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    // ---- single-byte sets without code extensions (PS3.3 Table C.12-2) ----

    [TestCase("ISO_IR 6", "Doe^John", "446F655E4A6F686E")]
    [TestCase("ISO_IR 100", "Buc^Jérôme", "4275635E4AE972F46D65")]
    [TestCase("ISO_IR 100", "Äneas^Rüdiger", "C46E6561735E52FC6469676572")]
    [TestCase("ISO_IR 101", "Łódź", "A3F364BC")]
    [TestCase("ISO_IR 109", "Ħĉ", "A1E6")]
    [TestCase("ISO_IR 110", "ĸĀ", "A2C0")]
    [TestCase("ISO_IR 126", "Διονυσιος", "C4E9EFEDF5F3E9EFF2")]
    [TestCase("ISO_IR 127", "قباني", "E2C8C7E6EA")]
    [TestCase("ISO_IR 138", "שרון", "F9F8E5EF")]
    [TestCase("ISO_IR 144", "Иван", "B8D2D0DD")]
    [TestCase("ISO_IR 148", "Ğşİ", "D0FEDD")]
    [TestCase("ISO_IR 166", "กข", "A1A2")]
    [TestCase("ISO_IR 203", "€Š", "A4A6")]
    [TestCase("ISO_IR 13", "ﾔﾏﾀﾞ^ﾀﾛｳ", "D4CFC0DE5EC0DBB3")]
    [TestCase("ISO_IR 192", "Wang^XiaoDong=王^小東=", "57616E675E5869616F446F6E673DE78E8B5EE5B08FE69DB13D")]
    [TestCase("GB18030", "Wang^XiaoDong=王^小东=", "57616e675e5869616f446f6e673dcdf55ed0a1b6ab3d")] // PS3.5 J.3
    [TestCase("GBK", "Wang^XiaoDong=王^小东=", "57616e675e5869616f446f6e673dcdf55ed0a1b6ab3d")]
    public void Single_valued_terms_encode_and_decode(string term, string text, string hex)
    {
        var cs = Set(term);
        Assert.That(cs.UnknownTerms, Is.Empty);
        Assert.That(cs.UsesCodeExtensions, Is.False);
        Assert.That(cs.Encode(text, isPersonName: true), Is.EqualTo(Bytes(hex)));
        Assert.That(cs.Decode(Bytes(hex), isPersonName: true), Is.EqualTo(text));
    }

    // The same single-byte sets as G1 code elements with escapes (PS3.3 Table C.12-3).
    [TestCase("ISO 2022 IR 101", "2D42", "Łódź", "A3F364BC")]
    [TestCase("ISO 2022 IR 109", "2D43", "Ħĉ", "A1E6")]
    [TestCase("ISO 2022 IR 110", "2D44", "ĸĀ", "A2C0")]
    [TestCase("ISO 2022 IR 144", "2D4C", "Иван", "B8D2D0DD")]
    [TestCase("ISO 2022 IR 127", "2D47", "قباني", "E2C8C7E6EA")]
    [TestCase("ISO 2022 IR 126", "2D46", "Διονυσιος", "C4E9EFEDF5F3E9EFF2")]
    [TestCase("ISO 2022 IR 138", "2D48", "שרון", "F9F8E5EF")]
    [TestCase("ISO 2022 IR 148", "2D4D", "Ğşİ", "D0FEDD")]
    [TestCase("ISO 2022 IR 203", "2D62", "€Š", "A4A6")]
    [TestCase("ISO 2022 IR 166", "2D54", "กข", "A1A2")]
    public void Iso2022_single_byte_sets_switch_with_escapes(string term, string escapeTail, string text, string hex)
    {
        // Value 1 is Latin-1 in G1; the second set is designated to G1 by its escape sequence when a character needs it.
        var cs = Set("ISO 2022 IR 100", term);
        Assert.That(cs.UsesCodeExtensions, Is.True);
        var expected = Bytes("4275635E" + "1B" + escapeTail + hex);
        Assert.That(cs.Encode("Buc^" + text, isPersonName: true), Is.EqualTo(expected));
        Assert.That(cs.Decode(expected, isPersonName: true), Is.EqualTo("Buc^" + text));
        // Value 1 alone in its ISO 2022 form: G1 holds it from the start, no escape needed.
        Assert.That(Set(term).Decode(Bytes(hex)), Is.EqualTo(text));
        Assert.That(Set(term).Encode(text), Is.EqualTo(Bytes(hex)));
    }

    // ---- PS3.5 Annex H: Japanese ----

    [Test]
    public void Japanese_H31_ISO_2022_IR_87()
    {
        // PS3.5 H.3.1: (0008,0005) \ISO 2022 IR 87.
        const string text = "Yamada^Tarou=山田^太郎=やまだ^たろう";
        var bytes = Bytes("59616d6164615e5461726f753d 1b2442 3b334544 1b2842 5e 1b2442 42404f3a 1b2842 3d 1b2442 2464245e2440 1b2842 5e 1b2442 243f246d2426 1b2842");
        var cs = Set("", "ISO 2022 IR 87");
        Assert.That(cs.Encode(text, true), Is.EqualTo(bytes));
        Assert.That(cs.Decode(bytes, true), Is.EqualTo(text));
    }

    [Test]
    public void Japanese_H32_ISO_2022_IR_13_and_87()
    {
        // PS3.5 H.3.2: (0008,0005) ISO 2022 IR 13\ISO 2022 IR 87: katakana in G1, romaji in G0, and ESC ( J back to
        // value 1's G0 before each delimiter.
        const string text = "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう";
        var bytes = Bytes("d4cfc0de5ec0dbb33d 1b2442 3b334544 1b284a 5e 1b2442 42404f3a 1b284a 3d 1b2442 2464245e2440 1b284a 5e 1b2442 243f246d2426 1b284a");
        var cs = Set("ISO 2022 IR 13", "ISO 2022 IR 87");
        Assert.That(cs.Decode(bytes, true), Is.EqualTo(text));
        Assert.That(cs.Encode(text, true), Is.EqualTo(bytes));
    }

    [Test]
    public void Japanese_ISO_2022_IR_159_supplementary_kanji()
    {
        // JIS X 0212 row 16 cell 1 is U+4E02; it has no JIS X 0208 code, so it needs ESC $ ( D (PS3.3 Table C.12-4).
        var cs = Set("", "ISO 2022 IR 87", "ISO 2022 IR 159");
        var bytes = Bytes("1b242844 3021 1b2842");
        Assert.That(cs.Decode(bytes), Is.EqualTo("丂"));
        Assert.That(cs.Encode("丂"), Is.EqualTo(bytes));
        const string mixed = "Yamada^山田丂=やまだ";
        Assert.That(cs.Decode(cs.Encode(mixed, true), true), Is.EqualTo(mixed));
    }

    [Test]
    public void Line_breaks_return_to_ascii_in_multi_byte_text()
    {
        var cs = Set("", "ISO 2022 IR 87");
        var bytes = cs.Encode("山\r\n田");
        Assert.That(bytes, Is.EqualTo(Bytes("1b2442 3b33 1b2842 0d0a 1b2442 4544 1b2842")));
        Assert.That(cs.Decode(bytes), Is.EqualTo("山\r\n田"));
    }

    // ---- PS3.5 Annex I: Korean ----

    [Test]
    public void Korean_I2_person_name()
    {
        const string text = "Hong^Gildong=洪^吉洞=홍^길동";
        var bytes = Bytes("486f6e675e47696c646f6e673d 1b242943 fbf3 5e 1b242943 d1ced4d7 3d 1b242943 c8ab 5e 1b242943 b1e6b5bf");
        var cs = Set("", "ISO 2022 IR 149");
        Assert.That(cs.Encode(text, true), Is.EqualTo(bytes));
        Assert.That(cs.Decode(bytes, true), Is.EqualTo(text));
    }

    [Test]
    public void Korean_I3_long_text()
    {
        // PS3.5 I.3: Hangul in G1 and ASCII in G0 intermixed; each line starts with the escape again.
        var bytes = Encoding.ASCII.GetBytes("\u001b$)CThe first line includes ").Concat(Bytes("c7d1b1db")).Concat(Encoding.ASCII.GetBytes(".\r\n\u001b$)CThe second line includes "))
            .Concat(Bytes("c7d1b1db")).Concat(Encoding.ASCII.GetBytes(", too.\r\nThe third line")).ToArray();
        var cs = Set("", "ISO 2022 IR 149");
        const string text = "The first line includes 한글.\r\nThe second line includes 한글, too.\r\nThe third line";
        Assert.That(cs.Decode(bytes), Is.EqualTo(text));
        Assert.That(cs.Decode(cs.Encode(text)), Is.EqualTo(text));
    }

    [Test]
    public void Delimiters_reset_the_G1_set()
    {
        // After '^' (a PN delimiter) the code sets return to value 1's: high bytes without a new escape are not Hangul.
        var cs = Set("", "ISO 2022 IR 149");
        var bytes = Bytes("1b242943 c7d1 5e c7d1");
        Assert.That(cs.Decode(bytes, isPersonName: true), Is.EqualTo("한^ÇÑ"));
        // '^' is no delimiter outside PN.
        Assert.That(cs.Decode(bytes, isPersonName: false), Is.EqualTo("한^한"));
        // Backslash separates values in every VR.
        Assert.That(cs.Decode(Bytes("1b242943 c7d1 5c c7d1")), Is.EqualTo("한\\ÇÑ"));
    }

    // ---- PS3.5 Annexes J and K: Chinese ----

    [Test]
    public void Chinese_K2_ISO_2022_IR_58_person_name()
    {
        const string text = "Zhang^XiaoDong=张^小东=";
        var bytes = Bytes("5a68616e675e5869616f446f6e673d 1b242941 d5c5 5e 1b242941 d0a1b6ab 3d");
        var cs = Set("", "ISO 2022 IR 58");
        Assert.That(cs.Encode(text, true), Is.EqualTo(bytes));
        Assert.That(cs.Decode(bytes, true), Is.EqualTo(text));
        // As an element: padded with a space to even length, which the typed getter removes.
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "", "ISO 2022 IR 58").AddOrUpdate(DicomTags.PatientName, text);
        Assert.That(ds.GetBytes(DicomTags.PatientName).ToArray(), Is.EqualTo(bytes.Append((byte)0x20).ToArray()));
        Assert.That(ds.GetString(DicomTags.PatientName), Is.EqualTo(text));
    }

    [Test]
    public void Chinese_K3_long_text()
    {
        // PS3.5 K.3: every line starts in ASCII, designates GB2312 to G1, and returns to ASCII before CR LF.
        byte[] Line(string number, string second) => Bytes(number + "2e 1b242941 b5da" + second + "d0d0cec4d7d6a1a3 1b2842 0d0a");
        var bytes = Line("31", "d2bb").Concat(Line("32", "b6fe")).Concat(Line("33", "c8fd")).Append((byte)0x20).ToArray();
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "", "ISO 2022 IR 58").AddOrUpdate(DicomTags.PatientComments, VR.LT, bytes);
        const string text = "1.第一行文字。\r\n2.第二行文字。\r\n3.第三行文字。\r\n";
        Assert.That(ds.GetString(DicomTags.PatientComments), Is.EqualTo(text));
        Assert.That(ds.CharacterSet.Decode(ds.CharacterSet.Encode(text)), Is.EqualTo(text));
    }

    [Test]
    public void Chinese_J3_GB18030_as_an_element()
    {
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "GB18030").AddOrUpdate(DicomTags.PatientName, "Wang^XiaoDong=王^小东=");
        Assert.That(ds.GetBytes(DicomTags.PatientName).ToArray(), Is.EqualTo(Bytes("57616e675e5869616f446f6e673dcdf55ed0a1b6ab3d")));
        Assert.That(ds.GetPersonName(DicomTags.PatientName)!.Ideographic, Is.EqualTo("王^小东"));
        // GB18030's four-byte sequences cover all of Unicode.
        const string beyondGbk = "😀ß\u0080";
        Assert.That(Set("GB18030").Decode(Set("GB18030").Encode(beyondGbk)), Is.EqualTo(beyondGbk));
    }

    private static char GbkCharWithBackslashTrailByte()
    {
        var gbk = Encoding.GetEncoding(936);
        for (var c = '\u4E00'; c < '\u9FA5'; c++)
        {
            var b = gbk.GetBytes(c.ToString());
            if (b.Length == 2 && b[1] == 0x5C) return c;
        }
        throw new InvalidOperationException("no GBK character with a 0x5C trail byte");
    }

    [TestCase("GBK")]
    [TestCase("GB18030")]
    public void Backslash_trail_bytes_do_not_split_values(string term)
    {
        var c = GbkCharWithBackslashTrailByte().ToString();
        var ds = new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, term).AddOrUpdate(DicomTags.OtherPatientIDs, "A" + c, c, "B");
        var raw = ds.GetBytes(DicomTags.OtherPatientIDs).ToArray();
        Assert.That(raw.Count(b => b == 0x5C), Is.EqualTo(4), "two separators and two trail bytes");
        Assert.That(ds.GetStrings(DicomTags.OtherPatientIDs), Is.EqualTo(new[] { "A" + c, c, "B" }));
        Assert.That(ds.GetValueMultiplicity(ds.Get(DicomTags.OtherPatientIDs)!), Is.EqualTo(3));
    }

    // ---- terms we do not know, and forms we tolerate ----

    [TestCase("ISO_IR 999")]
    [TestCase("KOI8-R")]
    [TestCase("UTF-8")]
    public void Unknown_terms_fall_back_to_the_default_repertoire(string term)
    {
        var cs = Set(term);
        Assert.That(cs.UnknownTerms, Is.EqualTo(new[] { term }));
        Assert.That(cs.Decode("Doe^John"u8), Is.EqualTo("Doe^John"));
        Assert.That(cs.Encode("Doe^John"), Is.EqualTo("Doe^John"u8.ToArray()));
        var multi = Set("", "ISO 2022 IR 999", "ISO 2022 IR 87");
        Assert.That(multi.UnknownTerms, Is.EqualTo(new[] { "ISO 2022 IR 999" }));
        Assert.That(multi.Decode(Bytes("1b2442 3b334544 1b2842")), Is.EqualTo("山田"), "the known terms still work");
    }

    [TestCase("ISO_IR_100")]
    [TestCase("ISO IR 100")]
    [TestCase("ISO-IR 100")]
    [TestCase("iso_ir 100")]
    public void Common_misspellings_are_understood(string term)
    {
        var cs = Set(term);
        Assert.That(cs.UnknownTerms, Is.Empty);
        Assert.That(cs.Decode(Bytes("4AE972F46D65")), Is.EqualTo("Jérôme"));
    }

    [Test]
    public void Iso2022_latin1_alone_needs_no_escape()
    {
        var cs = Set("ISO 2022 IR 100");
        Assert.That(cs.Encode("Buc^Jérôme", true), Is.EqualTo(Bytes("4275635E4AE972F46D65")));
        Assert.That(cs.Decode(Bytes("1B2D41 4AE972F46D65")), Is.EqualTo("Jérôme"), "a redundant escape is consumed");
    }

    [Test]
    public void Absent_or_empty_character_set_is_the_default()
    {
        Assert.That(Set().IsDefault, Is.True);
        Assert.That(Set("").IsDefault, Is.True);
        Assert.That(new DicomDataset().CharacterSet, Is.SameAs(DicomCharacterSet.Default));
        // Bytes above 0x7F are not in the default repertoire; they are kept as Latin-1 rather than lost.
        Assert.That(DicomCharacterSet.Default.Decode(Bytes("4AE9")), Is.EqualTo("Jé"));
    }

    // ---- the corpus, against pydicom ----

    private static readonly string PydicomScript = """
        import sys, json, pydicom
        out = {}
        for p in sys.argv[1:]:
            ds = pydicom.dcmread(p, force=True)
            if 'PatientName' not in ds:
                out[p] = None
                continue
            v = ds['PatientName'].value
            vals = [str(x) for x in v] if isinstance(v, pydicom.multival.MultiValue) else [str(v)]
            out[p] = '\\'.join(vals)
        print(json.dumps(out))
        """;

    [Test]
    public void Corpus_patient_names_decode_as_pydicom_decodes_them()
    {
        var files = Directory.GetFiles(Path.Combine(Corpus.Root, "charset"), "*.dcm").Order(StringComparer.Ordinal).ToArray();
        Assert.That(files, Has.Length.GreaterThanOrEqualTo(15));
        var result = ExternalTool.Run(ExternalTool.Python, ["-c", PydicomScript, .. files]);
        Assert.That(result.ExitCode, Is.Zero, $"pydicom failed (apt-get install -y python3-pydicom): {result.StdErr}");
        var theirs = JsonSerializer.Deserialize<Dictionary<string, string?>>(result.StdOut)!;
        var compared = 0;
        var diffs = new List<string>();
        foreach (var path in files)
        {
            var file = DicomFile.Open(path);
            var ours = file.Dataset.Contains(DicomTags.PatientName) ? string.Join('\\', file.Dataset.GetStrings(DicomTags.PatientName)) : null;
            var expected = theirs[path];
            // pydicom 2.3 leaves the ISO 2022 IR 58 escape sequences in the text (it has no codec that consumes them).
            expected = expected?.Replace("\u001b$)A", "", StringComparison.Ordinal);
            if (expected == null)
            {
                Assert.That(ours, Is.Null.Or.Empty, Path.GetFileName(path));
                continue;
            }
            compared++;
            // Trailing empty component groups ("…=") may be left out (PS3.5 6.2.1.1): pydicom drops them, we keep the bytes.
            ours = ours == null ? null : string.Join('\\', ours.Split('\\').Select(v => PersonName.Parse(v).ToString()));
            expected = string.Join('\\', expected.Split('\\').Select(v => PersonName.Parse(v).ToString()));
            if (ours != expected) diffs.Add($"{Path.GetFileName(path)}: ours '{ours}', pydicom '{expected}'");
        }
        Assert.That(diffs, Is.Empty);
        Assert.That(compared, Is.GreaterThanOrEqualTo(15));
    }

    [TestCase("chrH31.dcm", "Yamada^Tarou=山田^太郎=やまだ^たろう")]
    [TestCase("chrH32.dcm", "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう")]
    [TestCase("chrI2.dcm", "Hong^Gildong=洪^吉洞=홍^길동")]
    [TestCase("chrGB2312.dcm", "Zhang^XiaoDong=张^小东=")]
    [TestCase("GH1301.dcm", "Wang^XiaoDong=王^小东=")]
    public void Corpus_names_re_encode_to_their_own_bytes(string name, string text)
    {
        var file = DicomFile.Open(Path.Combine(Corpus.Root, "charset", name));
        Assert.That(file.Dataset.GetString(DicomTags.PatientName)!.TrimEnd('='), Is.EqualTo(text.TrimEnd('=')));
        var original = file.Dataset.GetBytes(DicomTags.PatientName).ToArray();
        var encoded = file.Dataset.CharacterSet.Encode(file.Dataset.GetString(DicomTags.PatientName)!, true);
        Assert.That(TrimPadding(encoded), Is.EqualTo(TrimPadding(original)));
    }

    private static byte[] TrimPadding(byte[] b)
    {
        var n = b.Length;
        while (n > 0 && b[n - 1] is 0x20 or 0x00) n--;
        return b[..n];
    }
}
