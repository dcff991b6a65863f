using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Formats.Internal;

/// <summary>
/// Builds elements from the Unicode text and numbers of a JSON or XML document. Text of the VRs that Specific
/// Character Set governs is encoded as UTF-8; when any of it is not ASCII, <see cref="FinishCharacterSet"/> sets
/// (0008,0005) to ISO_IR 192 so that the data set decodes as it was read (PS3.18 F.2.2 note 3: the attribute describes
/// the source encoding, not the JSON's).
/// </summary>
internal sealed class ElementFactory(PathTracker path)
{
    private static readonly byte[] IsoIr192 = "ISO_IR 192"u8.ToArray();
    private bool _sawNonAscii;

    public DicomElement Text(DicomTag tag, VR vr, IReadOnlyList<string?> values)
    {
        var text = string.Join('\\', values.Select(v => v ?? ""));
        byte[] bytes;
        if (vr.UsesCharacterSet)
        {
            if (!Ascii.IsValid(text)) _sawNonAscii = true;
            bytes = Encoding.UTF8.GetBytes(text);
        }
        else
        {
            // The other text VRs are in the default repertoire (PS3.5 6.1.2.3); bytes a writer decoded as Latin-1 return as they were.
            bytes = Encoding.Latin1.GetBytes(text);
        }
        return new DicomElement(tag, vr, new MemoryBuffer(DicomDataset.PadEven(bytes, vr.PadByte)));
    }

    /// <summary>Numbers (FL FD SS US SL UL SV UV) and tags (AT) from their text forms; JSON numbers arrive as their raw text.</summary>
    public DicomElement Numbers(DicomTag tag, VR vr, IReadOnlyList<string?> values)
    {
        var unit = vr == VR.AT ? 4 : vr.UnitSize;
        var bytes = new byte[values.Count * unit];
        for (var i = 0; i < values.Count; i++)
        {
            var text = values[i] ?? throw Error($"value {i + 1} is empty (null), which a {vr} value cannot be");
            var span = bytes.AsSpan(i * unit);
            if (vr == VR.AT)
            {
                if (text.Length != 8 || !uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var t))
                    throw Error($"'{text}' is not a tag: AT values are 8 hexadecimal digits GGGGEEEE (PS3.18 F.2.3)");
                BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(t >> 16));
                BinaryPrimitives.WriteUInt16LittleEndian(span[2..], (ushort)t);
            }
            else if (vr == VR.FL) BinaryPrimitives.WriteSingleLittleEndian(span, (float)ParseReal(text, vr));
            else if (vr == VR.FD) BinaryPrimitives.WriteDoubleLittleEndian(span, ParseReal(text, vr));
            else if (vr == VR.UV) BinaryPrimitives.WriteUInt64LittleEndian(span, ParseUnsigned(text, vr, ulong.MaxValue));
            else if (vr == VR.UL) BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)ParseUnsigned(text, vr, uint.MaxValue));
            else if (vr == VR.US) BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)ParseUnsigned(text, vr, ushort.MaxValue));
            else if (vr == VR.SV) BinaryPrimitives.WriteInt64LittleEndian(span, ParseSigned(text, vr, long.MinValue, long.MaxValue));
            else if (vr == VR.SL) BinaryPrimitives.WriteInt32LittleEndian(span, (int)ParseSigned(text, vr, int.MinValue, int.MaxValue));
            else if (vr == VR.SS) BinaryPrimitives.WriteInt16LittleEndian(span, (short)ParseSigned(text, vr, short.MinValue, short.MaxValue));
            else throw Error($"VR {vr} values are written as InlineBinary or BulkDataURI, not as a Value array (PS3.18 F.2.2)");
        }
        return new DicomElement(tag, vr, new MemoryBuffer(bytes));
    }

    /// <summary>Binary from InlineBinary: encapsulated pixel data is recognised by its items (PS3.5 A.4).</summary>
    public DicomElement Binary(DicomTag tag, VR vr, byte[] bytes)
    {
        if (EncapsulatedValue.TryParse(tag, vr, bytes, out var fragments)) return fragments;
        if (vr.IsString && vr.UsesCharacterSet && !Ascii.IsValid(bytes)) _sawNonAscii = true;
        return new DicomElement(tag, vr, new MemoryBuffer(bytes));
    }

    private double ParseReal(string text, VR vr)
    {
        // NaN and the infinities are not JSON numbers: writers give them as strings (XML Schema spells them INF, -INF).
        switch (text)
        {
            case "NaN": return double.NaN;
            case "Infinity" or "INF" or "+INF": return double.PositiveInfinity;
            case "-Infinity" or "-INF": return double.NegativeInfinity;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) return v;
        throw Error($"'{text}' is not a number, as {vr} values must be");
    }

    private ulong ParseUnsigned(string text, VR vr, ulong max)
    {
        if (ulong.TryParse(text, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var v) && v <= max) return v;
        if (IsWholeReal(text, out var d) && d >= 0 && d <= max) return (ulong)d;
        throw Error($"'{text}' is not an integer from 0 to {max}, as {vr} values must be");
    }

    private long ParseSigned(string text, VR vr, long min, long max)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
        if (IsWholeReal(text, out var d) && d >= min && d <= max) return (long)d;
        throw Error($"'{text}' is not an integer from {min} to {max}, as {vr} values must be");
    }

    /// <summary>"5.0" or "5e2" are integers in JSON terms; accept them within the exactly representable range.</summary>
    private static bool IsWholeReal(string text, out double d) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out d) && double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) <= 9007199254740992d;

    /// <summary>
    /// After a whole data set is read: text was encoded as UTF-8, so when any of it is not ASCII, or when a declared set
    /// would not read ASCII as ASCII (ISO 2022 with a two-byte G0), every (0008,0005) becomes ISO_IR 192.
    /// </summary>
    public void FinishCharacterSet(DicomDataset root)
    {
        if (!_sawNonAscii && AllAsciiCompatible(root)) return;
        Replace(root);
        root.Add(new DicomElement(DicomTags.SpecificCharacterSet, VR.CS, new MemoryBuffer(IsoIr192)));
        _sawNonAscii = false;

        static void Replace(DicomDataset ds)
        {
            if (ds.Contains(DicomTags.SpecificCharacterSet))
                ds.Add(new DicomElement(DicomTags.SpecificCharacterSet, VR.CS, new MemoryBuffer(IsoIr192)));
            foreach (var e in ds)
                if (e is DicomSequence sq)
                    foreach (var item in sq.Items) Replace(item);
        }
    }

    private static bool AllAsciiCompatible(DicomDataset ds)
    {
        const string probe = "AZaz09 ^=\\.-";
        if (ds.Contains(DicomTags.SpecificCharacterSet) && ds.CharacterSet.Decode(Encoding.ASCII.GetBytes(probe), true) != probe) return false;
        foreach (var e in ds)
            if (e is DicomSequence sq)
                foreach (var item in sq.Items)
                    if (!AllAsciiCompatible(item)) return false;
        return true;
    }

    public DicomFormatException Error(string reason, Exception? inner = null) => new(path.ToString(), reason, inner);
}
