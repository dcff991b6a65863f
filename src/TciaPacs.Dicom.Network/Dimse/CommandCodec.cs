using System.Buffers.Binary;

namespace TciaPacs.Dicom.Network.Dimse;

/// <summary>
/// Encodes and decodes command sets: Implicit VR Little Endian, group 0000 only, led by Command Group Length
/// (0000,0000) UL giving the length of the rest (PS3.7 6.3.1, E.1).
/// </summary>
public static class CommandCodec
{
    public static byte[] Encode(DimseCommand command)
    {
        var body = new MemoryStream();
        Span<byte> header = stackalloc byte[8];
        foreach (var e in command.Elements)
        {
            if (e.Tag.IsGroupLength) continue;
            if (e.Tag.Group != 0) throw new InvalidOperationException($"{e.Tag} is not a command element (group 0000)");
            var value = e.Buffer.GetBytes().Span;
            BinaryPrimitives.WriteUInt16LittleEndian(header, e.Tag.Group);
            BinaryPrimitives.WriteUInt16LittleEndian(header[2..], e.Tag.Element);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)value.Length);
            body.Write(header);
            body.Write(value);
        }
        var result = new byte[12 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)body.Length);
        body.GetBuffer().AsSpan(0, (int)body.Length).CopyTo(result.AsSpan(12));
        return result;
    }

    /// <summary>Decodes a command set; VRs come from the PS3.6 dictionary (group 0000 is all in it).</summary>
    public static DimseCommand Decode(ReadOnlySpan<byte> bytes)
    {
        var ds = new DicomDataset();
        var offset = 0;
        var last = -1L;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < 8) throw new DimseException("command set: truncated element header");
            var tag = new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(bytes[offset..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[(offset + 2)..]));
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(offset + 4)..]);
            if (tag.Group != 0) throw new DimseException($"command set: element {tag} is not in group 0000 (PS3.7 E.1)");
            if (tag.Value <= last) throw new DimseException($"command set: element {tag} out of ascending order");
            if (length > bytes.Length - offset - 8) throw new DimseException($"command set: element {tag} of length {length} overruns the command");
            last = tag.Value;
            var value = bytes.Slice(offset + 8, (int)length).ToArray();
            if (!tag.IsGroupLength) ds.AddOrUpdate(tag, ds.ResolveVR(tag), value);
            offset += 8 + (int)length;
        }
        var command = new DimseCommand(ds);
        if (!ds.Contains(DicomTags.CommandField)) throw new DimseException("command set without Command Field (0000,0100)");
        return command;
    }
}
