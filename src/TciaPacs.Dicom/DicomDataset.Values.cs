using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Values;

namespace TciaPacs.Dicom;

public sealed partial class DicomDataset
{
    /// <summary>The whole value as text: strings decoded with the character set (padding removed), numbers formatted and joined with '\'.</summary>
    public string? GetString(DicomTag tag) => Get(tag) is { } e ? GetString(e) : null;

    public string GetString(DicomElement e)
    {
        if (e is DicomSequence or DicomFragmentSequence) return "";
        var vr = ValueVR(e);
        if (vr.IsString) return TrimValue(vr, DecodeText(e, vr), true);
        return string.Join('\\', GetStrings(e));
    }

    /// <summary>
    /// The VR to interpret a value with: its own, except UN, which is read as the dictionary's VR when the dictionary has
    /// one (the bytes of UN are little endian, PS3.5 6.2.2), as pydicom does; the element keeps VR UN.
    /// </summary>
    public VR ValueVR(DicomElement e)
    {
        if (e.VR != VR.UN || e.Tag.IsPrivate) return e.VR;
        var vr = ResolveVR(e.Tag);
        return vr == VR.SQ ? VR.UN : vr;
    }

    /// <summary>The values: strings split on '\' (not LT, ST, UT, UR), each with its insignificant spaces removed; numbers formatted.</summary>
    public string[] GetStrings(DicomTag tag) => Get(tag) is { } e ? GetStrings(e) : [];

    public string[] GetStrings(DicomElement e)
    {
        if (e is DicomSequence or DicomFragmentSequence || e.Buffer.Length == 0) return [];
        var vr = ValueVR(e);
        if (vr.Kind == VRKind.SingleText) return [TrimValue(vr, DecodeText(e, vr), true)];
        if (vr.Kind == VRKind.Text)
        {
            var parts = DecodeText(e, vr).Split('\\');
            for (var i = 0; i < parts.Length; i++) parts[i] = TrimValue(vr, parts[i], i == parts.Length - 1);
            return parts;
        }
        if (vr == VR.AT) return GetTags(e).Select(t => t.ToHex()).ToArray();
        if (vr == VR.FL || vr == VR.OF) return GetNumbers<float>(e).Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray();
        if (vr == VR.FD || vr == VR.OD) return GetNumbers<double>(e).Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray();
        return GetInts(e, vr).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Number of values (VM) as PS3.5 counts them.</summary>
    public int GetValueMultiplicity(DicomElement e)
    {
        if (e is DicomSequence sq) return sq.Items.Count;
        if (e is DicomFragmentSequence) return 1;
        if (e.Buffer.Length == 0) return 0;
        if (e.VR.Kind == VRKind.SingleText) return 1;
        if (e.VR.Kind == VRKind.Text)
        {
            var span = e.Buffer.GetBytes().Span;
            // Backslash bytes can be trail bytes in multi-byte sets: count on the decoded text there.
            if (e.VR.UsesCharacterSet && !CharacterSet.IsDefault) return DecodeText(e, e.VR).Split('\\').Length;
            return span.Count((byte)'\\') + 1;
        }
        if (e.VR == VR.OB || e.VR == VR.OW || e.VR == VR.UN || e.VR == VR.OF || e.VR == VR.OD || e.VR == VR.OL || e.VR == VR.OV) return 1;
        var unit = e.VR == VR.AT ? 4 : e.VR.UnitSize;
        return (int)(e.Buffer.Length / unit);
    }

    private string DecodeText(DicomElement e, VR vr)
    {
        var bytes = e.Buffer.GetBytes().Span;
        if (!vr.UsesCharacterSet) return System.Text.Encoding.Latin1.GetString(bytes);
        return CharacterSet.Decode(bytes, vr == VR.PN);
    }

    private static string TrimValue(VR vr, string s, bool last)
    {
        // PS3.5 6.2: trailing spaces are padding for every text VR; leading spaces are insignificant for all but LT, ST, UT
        // (and PN/UR, where only trailing ones are); UI pads with NUL. Trailing NULs from sloppy writers are dropped too.
        if (vr == VR.UI) return s.TrimEnd('\0', ' ');
        if (vr == VR.LT || vr == VR.ST || vr == VR.UT || vr == VR.UR || vr == VR.PN) return s.TrimEnd(' ', '\0');
        return s.Trim(' ', '\0');
    }

    public ReadOnlyMemory<byte> GetBytes(DicomTag tag) => Get(tag)?.Buffer.GetBytes() ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>Binary values reinterpreted as <typeparamref name="T"/> (the buffer is little endian, as is the host).</summary>
    public static T[] GetNumbers<T>(DicomElement e) where T : unmanaged
    {
        var bytes = e.Buffer.GetBytes().Span;
        var n = bytes.Length / Marshal.SizeOf<T>();
        return MemoryMarshal.Cast<byte, T>(bytes[..(n * Marshal.SizeOf<T>())]).ToArray();
    }

    public T[] GetNumbers<T>(DicomTag tag) where T : unmanaged => Get(tag) is { } e ? GetNumbers<T>(e) : [];

    /// <summary>Integer values of IS, US, SS, UL, SL, SV, UV, OB, OW, OL, OV (and numeric text).</summary>
    public long[] GetInts(DicomTag tag) => Get(tag) is { } e ? GetInts(e) : [];

    public long[] GetInts(DicomElement e) => GetInts(e, ValueVR(e));

    private long[] GetInts(DicomElement e, VR vr)
    {
        if (vr == VR.US || vr == VR.OW) return Array.ConvertAll(GetNumbers<ushort>(e), v => (long)v);
        if (vr == VR.SS) return Array.ConvertAll(GetNumbers<short>(e), v => (long)v);
        if (vr == VR.UL || vr == VR.OL) return Array.ConvertAll(GetNumbers<uint>(e), v => (long)v);
        if (vr == VR.SL) return Array.ConvertAll(GetNumbers<int>(e), v => (long)v);
        if (vr == VR.SV) return GetNumbers<long>(e);
        if (vr == VR.UV || vr == VR.OV) return Array.ConvertAll(GetNumbers<ulong>(e), v => unchecked((long)v));
        if (vr == VR.OB || vr == VR.UN) return Array.ConvertAll(e.Buffer.GetBytes().ToArray(), v => (long)v);
        if (vr.IsString)
            return GetStrings(e).Where(s => s.Length > 0).Select(s => (long)Math.Round(double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture))).ToArray();
        return [];
    }

    public long? GetInt(DicomTag tag) => GetInts(tag) is { Length: > 0 } v ? v[0] : null;

    /// <summary>Real values of DS, FL, FD, OF, OD (and the integer VRs).</summary>
    public double[] GetDoubles(DicomTag tag) => Get(tag) is { } e ? GetDoubles(e) : [];

    public double[] GetDoubles(DicomElement e)
    {
        var vr = ValueVR(e);
        if (vr == VR.FL || vr == VR.OF) return Array.ConvertAll(GetNumbers<float>(e), v => (double)v);
        if (vr == VR.FD || vr == VR.OD) return GetNumbers<double>(e);
        if (vr.IsString) return GetStrings(e).Where(s => s.Length > 0).Select(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        return Array.ConvertAll(GetInts(e), v => (double)v);
    }

    public double? GetDouble(DicomTag tag) => GetDoubles(tag) is { Length: > 0 } v ? v[0] : null;

    /// <summary>AT values: each a group then an element, 16 bits each (PS3.5 6.2).</summary>
    public static DicomTag[] GetTags(DicomElement e)
    {
        var b = e.Buffer.GetBytes().Span;
        var tags = new DicomTag[b.Length / 4];
        for (var i = 0; i < tags.Length; i++)
            tags[i] = new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 4)..]), BinaryPrimitives.ReadUInt16LittleEndian(b[(i * 4 + 2)..]));
        return tags;
    }

    // The first value, as GetPersonName does: the whole of a multi-valued element ("A\B") is no date.
    public DateOnly? GetDate(DicomTag tag) => GetStrings(tag) is [{ Length: > 0 } s, ..] ? DicomDateTime.ParseDate(s) : null;
    public TimeOnly? GetTime(DicomTag tag) => GetStrings(tag) is [{ Length: > 0 } s, ..] ? DicomDateTime.ParseTime(s) : null;
    public DateTimeOffset? GetDateTime(DicomTag tag) => GetStrings(tag) is [{ Length: > 0 } s, ..] ? DicomDateTime.ParseDateTime(s) : null;
    public DicomDateRange GetDateRange(DicomTag tag) => DicomDateRange.Parse(GetString(tag) ?? "", Get(tag)?.VR ?? VR.DA);

    public PersonName? GetPersonName(DicomTag tag) => GetStrings(tag) is { Length: > 0 } v ? PersonName.Parse(v[0]) : null;
    public PersonName[] GetPersonNames(DicomTag tag) => GetStrings(tag).Select(PersonName.Parse).ToArray();

    public DicomSequence? GetSequence(DicomTag tag) => Get(tag) as DicomSequence;

    /// <summary>VR to use for a new element of this tag: the dictionary's (resolving US or SS by Pixel Representation), else UN.</summary>
    public VR ResolveVR(DicomTag tag)
    {
        var entry = DicomDictionary.Find(tag);
        if (entry == null || entry.ValueRepresentations.Count == 0) return VR.UN;
        return VRResolver.Resolve(tag, entry, this);
    }

    /// <summary>Sets a text element (VR from the dictionary when not given), encoded with this data set's character set and padded to even length.</summary>
    public DicomDataset AddOrUpdate(DicomTag tag, params string[] values) => AddOrUpdate(tag, ResolveVR(tag), values);

    public DicomDataset AddOrUpdate(DicomTag tag, VR vr, params string[] values)
    {
        if (vr == VR.SQ) throw new ArgumentException($"{tag} is a sequence: add a DicomSequence.");
        if (!vr.IsString) return AddOrUpdate(tag, vr, EncodeNumbersFromText(vr, values));
        var text = string.Join('\\', values);
        var bytes = vr.UsesCharacterSet ? CharacterSet.Encode(text, vr == VR.PN) : System.Text.Encoding.Latin1.GetBytes(text);
        return Add(new DicomElement(tag, vr, new MemoryBuffer(PadEven(bytes, vr.PadByte))));
    }

    public DicomDataset AddOrUpdate(DicomTag tag, VR vr, byte[] bytes) => Add(new DicomElement(tag, vr, new MemoryBuffer(bytes)));

    public DicomDataset AddOrUpdate<T>(DicomTag tag, VR vr, params T[] values) where T : unmanaged =>
        Add(new DicomElement(tag, vr, new MemoryBuffer(MemoryMarshal.AsBytes(values.AsSpan()).ToArray())));

    public DicomDataset AddOrUpdate(DicomTag tag, params DicomDataset[] items) => Add(new DicomSequence(tag, items));

    private static byte[] EncodeNumbersFromText(VR vr, string[] values)
    {
        var ms = new MemoryStream();
        Span<byte> b = stackalloc byte[8];
        foreach (var v in values)
        {
            if (vr == VR.AT)
            {
                var t = DicomTag.Parse(v);
                BinaryPrimitives.WriteUInt16LittleEndian(b, t.Group);
                BinaryPrimitives.WriteUInt16LittleEndian(b[2..], t.Element);
                ms.Write(b[..4]);
                continue;
            }
            var n = vr.UnitSize;
            if (vr == VR.FL || vr == VR.OF) BinaryPrimitives.WriteSingleLittleEndian(b, float.Parse(v, CultureInfo.InvariantCulture));
            else if (vr == VR.FD || vr == VR.OD) BinaryPrimitives.WriteDoubleLittleEndian(b, double.Parse(v, CultureInfo.InvariantCulture));
            else if (vr == VR.UV || vr == VR.OV) BinaryPrimitives.WriteUInt64LittleEndian(b, ulong.Parse(v, CultureInfo.InvariantCulture));
            else BinaryPrimitives.WriteInt64LittleEndian(b, long.Parse(v, CultureInfo.InvariantCulture));
            ms.Write(b[..n]);
        }
        return ms.ToArray();
    }

    /// <summary>The bytes padded to even length with <paramref name="pad"/> (PS3.5 7.1.1); the same array when already even.</summary>
    public static byte[] PadEven(byte[] bytes, byte pad)
    {
        if ((bytes.Length & 1) == 0) return bytes;
        var padded = new byte[bytes.Length + 1];
        bytes.CopyTo(padded, 0);
        padded[^1] = pad;
        return padded;
    }

    /// <summary>The private creator that reserved the block of a private element (PS3.5 7.8.1), or null.</summary>
    public string? GetPrivateCreator(DicomTag tag)
    {
        if (!tag.IsPrivate || tag.Element < 0x1000) return null;
        return GetString(tag.PrivateCreatorTag);
    }

    /// <summary>The tag of element <paramref name="offset"/> (0x00-0xFF) in <paramref name="creator"/>'s block of <paramref name="group"/>, reserving the block if needed.</summary>
    public DicomTag GetPrivateTag(ushort group, string creator, byte offset, bool reserve = true)
    {
        if ((group & 1) == 0) throw new ArgumentException($"Group {group:X4} is not private (odd).", nameof(group));
        ushort free = 0;
        for (ushort slot = 0x10; slot <= 0xFF; slot++)
        {
            var e = Get(new DicomTag(group, slot));
            if (e == null) { if (free == 0) free = slot; continue; }
            if (GetString(e) == creator) return new DicomTag(group, (ushort)((slot << 8) | offset));
        }
        if (!reserve || free == 0) throw new InvalidOperationException($"No private block for '{creator}' in group {group:X4}.");
        AddOrUpdate(new DicomTag(group, free), VR.LO, creator);
        return new DicomTag(group, (ushort)((free << 8) | offset));
    }
}
