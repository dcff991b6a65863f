using System.Buffers.Binary;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Formats.Internal;

/// <summary>
/// Encapsulated pixel data as one byte string: the items and the sequence delimiter exactly as they stand in the Value
/// Field (PS3.5 A.4). DICOM JSON (PS3.18 F.2.7) and the Native DICOM Model carry it whole as InlineBinary or bulk data.
/// </summary>
internal static class EncapsulatedValue
{
    private const uint ItemTag = 0xFFFEE000;
    private const uint SequenceDelimiterTag = 0xFFFEE0DD;

    public static long LengthOf(DicomFragmentSequence f) => 8 + f.OffsetTable.Length + f.Fragments.Sum(b => 8 + b.Length) + 8;

    public static byte[] ToBytes(DicomFragmentSequence f)
    {
        var length = LengthOf(f);
        if (length > Array.MaxLength) throw new InvalidOperationException($"Encapsulated value of {f.Tag} is {length} bytes: too large to inline, use a BulkDataUriFactory.");
        var output = new byte[length];
        var at = 0;
        void Item(uint tag, DicomBuffer value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at), (ushort)(tag >> 16));
            BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at + 2), (ushort)tag);
            BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(at + 4), (uint)value.Length);
            at += 8;
            value.GetBytes().Span.CopyTo(output.AsSpan(at));
            at += (int)value.Length;
        }
        Item(ItemTag, f.OffsetTable);
        foreach (var fragment in f.Fragments) Item(ItemTag, fragment);
        Item(SequenceDelimiterTag, DicomBuffer.Empty);
        return output;
    }

    /// <summary>
    /// Reads the bytes back into fragments when they are, from first to last byte, items then a sequence delimiter.
    /// Only Pixel Data (7FE0,0010) of VR OB or OW is tried: nothing else is ever encapsulated (PS3.5 A.4).
    /// </summary>
    public static bool TryParse(DicomTag tag, VR vr, byte[] bytes, out DicomFragmentSequence fragments)
    {
        fragments = null!;
        if (tag != DicomTags.PixelData || (vr != VR.OB && vr != VR.OW) || bytes.Length < 16) return false;
        var items = new List<DicomBuffer>();
        var at = 0;
        while (at + 8 <= bytes.Length)
        {
            var itemTag = ((uint)BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at)) << 16) | BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at + 2));
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4));
            at += 8;
            if (itemTag == SequenceDelimiterTag)
            {
                if (length != 0 || at != bytes.Length || items.Count == 0) return false;
                fragments = new DicomFragmentSequence(tag, vr, items[0], items.Skip(1));
                return true;
            }
            if (itemTag != ItemTag || length > (uint)(bytes.Length - at)) return false;
            items.Add(new MemoryBuffer(bytes.AsMemory(at, (int)length)));
            at += (int)length;
        }
        return false;
    }
}
