using System.Globalization;
using System.Runtime.InteropServices;
using CsCheck;
using NUnit.Framework;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Values;

namespace TciaPacs.Dicom.Tests;

/// <summary>
/// For every VR, values generated within the VR's rules (PS3.5 6.2) survive AddOrUpdate → DicomWriter → DicomFile.Read →
/// the typed getters, in each native transfer syntax: multi-valued, empty, odd lengths (padding), nested sequences and
/// private blocks. The data sets use ISO_IR 192 so that the text VRs carry any Unicode character.
/// </summary>
[TestFixture]
public sealed class VRPropertyTests
{
    private const long Iterations = 60;

    /// <summary>A standard tag whose only VR is <paramref name="vr"/>, so implicit VR reads it back with that VR.</summary>
    private static DicomTag TagFor(VR vr) => new(DicomDictionary.All
        .Where(e => !e.IsRepeatingGroup && !e.IsRetired && e.ValueRepresentations.Count == 1 && e.VR == vr)
        .Where(e => (e.Tag >> 16) is not (0x0000 or 0x0002 or 0x0028 or 0xFFFE) && e.Tag != DicomTags.SpecificCharacterSet.Value && e.Tag < 0x7FE00000)
        .OrderBy(e => e.VM.Contains('n') ? 0 : 1).ThenBy(e => e.Tag).First().Tag);

    private static DicomDataset RoundTrip(DicomDataset ds, TransferSyntax ts)
    {
        var ms = new MemoryStream();
        new DicomFile(new DicomDataset(), ds, ts).Save(ms, ts);
        ms.Position = 0;
        var read = DicomFile.Read(ms);
        Assert.That(read.TransferSyntax.Uid, Is.EqualTo(ts.Uid));
        return read.Dataset;
    }

    private static DicomDataset NewDataset() => new DicomDataset().AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 192");

    public static IEnumerable<TestCaseData> Syntaxes() =>
        TransferSyntax.Uncompressed.Select(ts => new TestCaseData(ts.Uid).SetArgDisplayNames(ts.Name));

    public static IEnumerable<TestCaseData> VRsAndSyntaxes() =>
        from vr in VR.All
        where vr != VR.SQ
        from ts in TransferSyntax.Uncompressed
        select new TestCaseData(vr.Name, ts.Uid).SetArgDisplayNames(vr.Name, ts.Name);

    [Test]
    public void Every_VR_is_covered()
    {
        var covered = VR.All.Where(v => v != VR.SQ).Select(v => Case(v)).Count();
        Assert.That(covered, Is.EqualTo(33));
    }

    // ---- generators within each VR's rules ----

    private static Gen<string> Chars(string alphabet, int min, int max) => Gen.Char[alphabet].Array[min, max].Select(a => new string(a));

    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Digits = "0123456789";
    private const string Printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]_`abcdefghijklmnopqrstuvwxyz{|}~";
    private const string Unicode = "aZ09 .,-éüßøÅŁžΩДжשעخ中文漢字山田やまだカタカナ한글ÿ€";

    // Leading and trailing spaces are padding or insignificant in most text VRs (PS3.5 6.2): values are generated without them.
    private static Gen<string> Trimmed(Gen<string> g) => g.Select(s => s.Trim(' '));

    private static Gen<string[]> Multi(Gen<string> value) => value.Array[1, 5];

    private static readonly Gen<string> Uid =
        Gen.Select(Gen.Int[0, 2], Gen.Int[1, 999_999].Select(a => a.ToString(CultureInfo.InvariantCulture)).Array[1, 6])
            .Select((root, rest) => string.Join('.', new[] { root.ToString(CultureInfo.InvariantCulture) }.Concat(rest)));

    private static readonly Gen<string> DecimalString =
        Gen.Select(Gen.Long[-99_999_999, 99_999_999], Gen.Int[0, 6])
            .Select((m, s) => (m / Math.Pow(10, s)).ToString("G8", CultureInfo.InvariantCulture));

    private static readonly Gen<DateOnly> Date = Gen.DateOnly[new DateOnly(1800, 1, 1), new DateOnly(2199, 12, 31)];

    private static readonly Gen<TimeOnly> Time = Gen.Select(Gen.Int[0, 86_399], Gen.Int[0, 999_999])
        .Select((s, us) => new TimeOnly(s * TimeSpan.TicksPerSecond + us * 10L));

    private static readonly Gen<(string Text, DateTimeOffset Value)> DateTimeValue =
        Gen.Select(Date, Time, Gen.Int[-12 * 4, 14 * 4], Gen.Bool).Select((d, t, q, withOffset) =>
        {
            var offset = withOffset ? TimeSpan.FromMinutes(q * 15) : TimeSpan.Zero;
            var text = DicomDateTime.FormatDate(d) + t.ToString("HHmmss.ffffff", CultureInfo.InvariantCulture)
                       + (withOffset ? (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString("hhmm", CultureInfo.InvariantCulture) : "");
            return (text, new DateTimeOffset(d.ToDateTime(t), offset));
        });

    private static readonly Gen<string> PnComponent = Chars(Upper + "abcxyz -'.", 0, 8).Select(s => s.Trim());
    private static readonly Gen<string> PnIdeographic = Chars("山田太郎洪吉洞中文", 0, 3);
    private static readonly Gen<string> PnPhonetic = Chars("やまだたろうホンギルドン", 0, 4);

    private static readonly Gen<string> PersonNameValue =
        Gen.Select(PnComponent.Array[1, 5], PnIdeographic.Array[0, 3], PnPhonetic.Array[0, 3])
            .Select((a, i, p) =>
            {
                var groups = new List<string> { string.Join('^', a) };
                if (i.Length > 0 || p.Length > 0) groups.Add(string.Join('^', i));
                if (p.Length > 0) groups.Add(string.Join('^', p));
                return string.Join('=', groups).TrimEnd(' ');
            });

    private sealed record Sample(Action<DicomDataset> Set, Action<DicomDataset, DicomDataset> Check, string Show)
    {
        public override string ToString() => Show;
    }

    private static Sample TextSample(DicomTag tag, VR vr, string[] values, Action<DicomDataset>? extra = null) =>
        new(ds => ds.AddOrUpdate(tag, vr, values), (_, read) =>
        {
            var e = read.Get(tag);
            Assert.That(e, Is.Not.Null);
            Assert.That(e!.Length % 2, Is.Zero, "padded to even length");
            var expected = values.Length == 1 && values[0].Length == 0 ? [] : values;
            Assert.That(read.GetStrings(tag), Is.EqualTo(expected));
            Assert.That(read.GetValueMultiplicity(e), Is.EqualTo(expected.Length));
            extra?.Invoke(read);
        }, $"{vr} [{string.Join("|", values)}]");

    private static Sample BinarySample<T>(DicomTag tag, VR vr, T[] values, Func<T, long>? asLong = null, Func<T, double>? asDouble = null) where T : unmanaged =>
        new(ds => ds.AddOrUpdate(tag, vr, values), (_, read) =>
        {
            Assert.That(read.GetNumbers<T>(tag), Is.EqualTo(values));
            Assert.That(read.GetBytes(tag).ToArray(), Is.EqualTo(MemoryMarshal.AsBytes(values.AsSpan()).ToArray()));
            if (asLong != null) Assert.That(read.GetInts(tag), Is.EqualTo(values.Select(asLong).ToArray()));
            if (asDouble != null) Assert.That(read.GetDoubles(tag), Is.EqualTo(values.Select(asDouble).ToArray()));
        }, $"{vr} [{string.Join(",", values)}]");

    private static Gen<Sample> Case(VR vr)
    {
        var tag = vr == VR.UN ? default : TagFor(vr);
        if (vr == VR.AE) return Multi(Trimmed(Chars(Printable.Replace("\\", ""), 1, 16))).Select(v => TextSample(tag, vr, v));
        if (vr == VR.AS)
            return Gen.Select(Gen.Int[0, 999], Gen.OneOfConst('D', 'W', 'M', 'Y'))
                .Select((n, u) => n.ToString("000", CultureInfo.InvariantCulture) + u).Select(v => TextSample(tag, vr, [v]));
        if (vr == VR.CS) return Multi(Trimmed(Chars(Upper + Digits + " _", 0, 16))).Select(v => TextSample(tag, vr, v));
        if (vr == VR.DA)
            return Date.Array[1, 4].Select(d => TextSample(tag, vr, d.Select(DicomDateTime.FormatDate).ToArray(),
                read => Assert.That(read.GetDate(tag), Is.EqualTo(d[0]))));
        if (vr == VR.TM)
            return Time.Array[1, 4].Select(t => TextSample(tag, vr, t.Select(DicomDateTime.FormatTime).ToArray(),
                read => Assert.That(read.GetTime(tag), Is.EqualTo(t[0]))));
        if (vr == VR.DT)
            return DateTimeValue.Array[1, 3].Select(v => TextSample(tag, vr, v.Select(x => x.Text).ToArray(),
                read => Assert.That(read.GetDateTime(tag), Is.EqualTo(v[0].Value))));
        if (vr == VR.DS)
            return Multi(DecimalString).Select(v => TextSample(tag, vr, v,
                read => Assert.That(read.GetDoubles(tag), Is.EqualTo(v.Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()))));
        if (vr == VR.IS)
            return Gen.Int.Array[1, 5].Select(v => TextSample(tag, vr, v.Select(x => x.ToString(CultureInfo.InvariantCulture)).ToArray(),
                read => Assert.That(read.GetInts(tag), Is.EqualTo(v.Select(x => (long)x).ToArray()))));
        if (vr == VR.LO) return Multi(Trimmed(Chars(Unicode, 0, 64))).Select(v => TextSample(tag, vr, v));
        if (vr == VR.SH) return Multi(Trimmed(Chars(Unicode, 0, 16))).Select(v => TextSample(tag, vr, v));
        if (vr == VR.UC) return Multi(Trimmed(Chars(Unicode, 0, 200))).Select(v => TextSample(tag, vr, v));
        if (vr == VR.PN)
            return PersonNameValue.Array[1, 3].Select(v => TextSample(tag, vr, v, read =>
            {
                if (v is [""])
                {
                    Assert.That(read.GetPersonName(tag), Is.Null);
                    return;
                }
                Assert.That(read.GetPersonName(tag), Is.EqualTo(PersonName.Parse(v[0])));
                Assert.That(read.GetPersonNames(tag).Select(p => p.FamilyName), Is.EqualTo(v.Select(x => PersonName.Parse(x).FamilyName)));
                Assert.That(read.GetPersonNames(tag).Select(p => p.Ideographic), Is.EqualTo(v.Select(x => PersonName.Parse(x).Ideographic)));
            }));
        if (vr == VR.LT || vr == VR.ST || vr == VR.UT)
        {
            // Never split: backslash and line breaks are text here; leading spaces are significant, trailing are padding.
            var max = vr == VR.LT ? 1000 : vr == VR.ST ? 300 : 1000;
            return Chars(Unicode + "\\\r\n\t", 0, max).Select(s => s.TrimEnd(' ')).Select(s => TextSample(tag, vr, [s],
                read => Assert.That(read.GetString(tag), Is.EqualTo(s))));
        }
        if (vr == VR.UR) return Chars(Printable.Replace(" ", ""), 0, 120).Select(s => TextSample(tag, vr, [s]));
        if (vr == VR.UI) return Multi(Uid).Select(v => TextSample(tag, vr, v));
        if (vr == VR.AT)
            return Gen.Select(Gen.UShort, Gen.UShort).Select((g, e) => new DicomTag(g, e)).Array[0, 6].Select(tags =>
                new Sample(ds => ds.AddOrUpdate(tag, vr, tags.Select(t => t.ToString()).ToArray()),
                    (_, read) =>
                    {
                        Assert.That(DicomDataset.GetTags(read.Get(tag)!), Is.EqualTo(tags));
                        Assert.That(read.GetStrings(tag), Is.EqualTo(tags.Select(t => t.ToHex())));
                    }, $"AT [{string.Join(",", tags)}]"));
        if (vr == VR.US) return Gen.UShort.Array[0, 8].Select(v => BinarySample(tag, vr, v, x => x, x => x));
        if (vr == VR.SS) return Gen.Short.Array[0, 8].Select(v => BinarySample(tag, vr, v, x => x, x => x));
        if (vr == VR.UL) return Gen.UInt.Array[0, 8].Select(v => BinarySample(tag, vr, v, x => x, x => x));
        if (vr == VR.SL) return Gen.Int.Array[0, 8].Select(v => BinarySample(tag, vr, v, x => x, x => x));
        if (vr == VR.SV) return Gen.Long.Array[0, 8].Select(v => BinarySample(tag, vr, v, x => x));
        if (vr == VR.UV) return Gen.ULong.Array[0, 8].Select(v => BinarySample(tag, vr, v, x => unchecked((long)x)));
        if (vr == VR.FL) return Gen.Float.Where(f => !float.IsNaN(f)).Array[0, 8].Select(v => BinarySample(tag, vr, v, null, x => x));
        if (vr == VR.FD) return Gen.Double.Where(d => !double.IsNaN(d)).Array[0, 8].Select(v => BinarySample(tag, vr, v, null, x => x));
        if (vr == VR.OF) return Gen.Float.Where(f => !float.IsNaN(f)).Array[0, 40].Select(v => BinarySample(tag, vr, v, null, x => x));
        if (vr == VR.OD) return Gen.Double.Where(d => !double.IsNaN(d)).Array[0, 40].Select(v => BinarySample(tag, vr, v, null, x => x));
        if (vr == VR.OW) return Gen.UShort.Array[0, 80].Select(v => BinarySample(tag, vr, v, x => x));
        if (vr == VR.OL) return Gen.UInt.Array[0, 40].Select(v => BinarySample(tag, vr, v, x => x));
        if (vr == VR.OV) return Gen.ULong.Array[0, 40].Select(v => BinarySample(tag, vr, v, x => unchecked((long)x)));
        if (vr == VR.OB || vr == VR.UN)
        {
            // UN: a private element, the only kind an implicit VR reader cannot type. Odd lengths come back padded with NUL.
            return Gen.Byte.Array[0, 101].Select(bytes =>
            {
                if (bytes.Length > 0) bytes[0] = 0; // not an item tag: a private UN that starts with (FFFE,E000) is read as a sequence
                return new Sample(ds =>
                {
                    var t = vr == VR.UN ? ds.GetPrivateTag(0x0009, "TCIAPACS TEST", 0x10) : tag;
                    ds.AddOrUpdate(t, vr, bytes);
                }, (original, read) =>
                {
                    var t = vr == VR.UN ? read.GetPrivateTag(0x0009, "TCIAPACS TEST", 0x10, reserve: false) : tag;
                    var padded = bytes.Length % 2 == 1 && !ReferenceEquals(original, read) ? [.. bytes, 0] : bytes;
                    Assert.That(read.GetBytes(t).ToArray(), Is.EqualTo(padded));
                    Assert.That(read.Get(t)!.VR, Is.EqualTo(vr));
                    Assert.That(read.GetInts(t), Is.EqualTo(padded.Select(b => (long)b)));
                }, $"{vr} {Convert.ToHexString(bytes)}");
            });
        }
        throw new AssertionException($"no generator for {vr}");
    }

    [TestCaseSource(nameof(VRsAndSyntaxes))]
    [CancelAfter(60_000)]
    public void Values_round_trip(string vrName, string tsUid)
    {
        var ts = TransferSyntax.Lookup(tsUid);
        Case(VR.Parse(vrName)).Sample(sample =>
        {
            var ds = NewDataset();
            sample.Set(ds);
            sample.Check(ds, ds);
            sample.Check(ds, RoundTrip(ds, ts));
        }, iter: Iterations, threads: 1);
    }

    [TestCaseSource(nameof(Syntaxes))]
    public void Empty_values_round_trip(string tsUid)
    {
        var ts = TransferSyntax.Lookup(tsUid);
        var ds = NewDataset();
        foreach (var vr in VR.All.Where(v => v != VR.SQ && v != VR.UN)) ds.AddOrUpdate(TagFor(vr), vr, Array.Empty<byte>());
        var read = RoundTrip(ds, ts);
        foreach (var vr in VR.All.Where(v => v != VR.SQ && v != VR.UN))
        {
            var tag = TagFor(vr);
            var e = read.Get(tag);
            Assert.That(e, Is.Not.Null, vr.Name);
            Assert.That(e!.Length, Is.Zero, vr.Name);
            Assert.That(read.GetStrings(tag), Is.Empty, vr.Name);
            Assert.That(read.GetValueMultiplicity(e), Is.Zero, vr.Name);
        }
        Assert.That(read.GetDate(TagFor(VR.DA)), Is.Null);
        Assert.That(read.GetPersonName(TagFor(VR.PN)), Is.Null);
    }

    // ---- sequences ----

    private static readonly DicomTag ItemText = TagFor(VR.LO);
    private static readonly DicomTag ItemNumber = TagFor(VR.US);

    private static Gen<DicomDataset[]> Items(int depth) =>
        // Items are built before they have a parent (and so the parent's character set): their text stays ASCII.
        Gen.Select(Chars(Upper + Digits + " ", 0, 20).Select(s => s.Trim()), Gen.UShort.Array[0, 3], depth > 0 ? Gen.Int[0, 2] : Gen.Const(0))
            .SelectMany((text, numbers, nested) => (nested == 0 ? Gen.Const(Array.Empty<DicomDataset>()) : Items(depth - 1)).Select(children =>
            {
                var item = new DicomDataset().AddOrUpdate(ItemText, text).AddOrUpdate(ItemNumber, VR.US, numbers);
                if (nested > 0) item.AddOrUpdate(DicomTags.ReferencedImageSequence, children);
                return item;
            })).Array[0, 3];

    private static void SameTree(DicomDataset expected, DicomDataset actual, string path)
    {
        Assert.That(actual.Select(e => e.Tag), Is.EqualTo(expected.Select(e => e.Tag)), path);
        foreach (var e in expected)
        {
            if (e is DicomSequence sq)
            {
                var other = actual.GetSequence(e.Tag);
                Assert.That(other, Is.Not.Null, $"{path}/{e.Tag}");
                Assert.That(other!.Items, Has.Count.EqualTo(sq.Items.Count), $"{path}/{e.Tag}");
                for (var i = 0; i < sq.Items.Count; i++)
                {
                    Assert.That(other.Items[i].Parent, Is.SameAs(actual));
                    SameTree(sq.Items[i], other.Items[i], $"{path}/{e.Tag}[{i}]");
                }
                continue;
            }
            Assert.That(actual.GetStrings(e.Tag), Is.EqualTo(expected.GetStrings(e.Tag)), $"{path}/{e.Tag}");
        }
    }

    [TestCaseSource(nameof(Syntaxes))]
    [CancelAfter(60_000)]
    public void Nested_sequences_round_trip(string tsUid)
    {
        var ts = TransferSyntax.Lookup(tsUid);
        Gen.Select(Items(3), Gen.Bool).Sample((items, explicitLengths) =>
        {
            var ds = NewDataset().AddOrUpdate(DicomTags.ReferencedImageSequence, items).AddOrUpdate(DicomTags.PatientID, "P1");
            var ms = new MemoryStream();
            new DicomFile(new DicomDataset(), ds, ts).Save(ms, ts, new DicomWriteOptions { ExplicitLengthSequences = explicitLengths });
            ms.Position = 0;
            var read = DicomFile.Read(ms).Dataset;
            SameTree(ds, read, "");
            Assert.That(read.GetSequence(DicomTags.ReferencedImageSequence)!.Items.All(i => !i.CharacterSet.IsDefault), Is.True, "items inherit ISO_IR 192");
        }, iter: Iterations, threads: 1);
    }

    // ---- private blocks ----

    [TestCaseSource(nameof(Syntaxes))]
    [CancelAfter(60_000)]
    public void Private_blocks_round_trip(string tsUid)
    {
        var ts = TransferSyntax.Lookup(tsUid);
        var creators = Chars(Upper + Digits + " ._", 1, 20).Select(s => s.Trim()).Where(s => s.Length > 0);
        Gen.Select(Gen.OneOfConst<ushort>(0x0009, 0x0011, 0x0029, 0x7FDF), creators.Array[1, 4], Gen.Byte, Gen.UShort.Array[1, 4])
            .Sample((group, names, offset, values) =>
            {
                var unique = names.Distinct().ToArray();
                var ds = NewDataset();
                foreach (var name in unique)
                {
                    var t = ds.GetPrivateTag(group, name, offset);
                    ds.AddOrUpdate(t, VR.OB, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
                }
                var read = RoundTrip(ds, ts);
                for (var i = 0; i < unique.Length; i++)
                {
                    var t = read.GetPrivateTag(group, unique[i], offset, reserve: false);
                    Assert.That(t, Is.EqualTo(new DicomTag(group, (ushort)(((0x10 + i) << 8) | offset))));
                    Assert.That(read.GetPrivateCreator(t), Is.EqualTo(unique[i]));
                    // Implicit VR cannot tell OB from UN: the bytes are what must survive.
                    Assert.That(read.GetNumbers<ushort>(t), Is.EqualTo(values));
                }
            }, iter: Iterations, threads: 1);
    }
}
