using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom;

/// <summary>
/// A data element: tag, VR and its value bytes (little endian, as read, including padding). Typed access goes through
/// the owning <see cref="DicomDataset"/>, which knows the character set.
/// </summary>
public class DicomElement(DicomTag tag, VR vr, DicomBuffer buffer)
{
    public DicomTag Tag { get; } = tag;
    public VR VR { get; } = vr;
    public DicomBuffer Buffer { get; } = buffer;

    /// <summary>Value length in bytes (for sequences and fragments, 0: their length is computed on write).</summary>
    public virtual long Length => Buffer.Length;

    /// <summary>The value is kept in a file rather than in memory.</summary>
    public bool IsBulkData => Buffer is FileBuffer;

    public override string ToString() => $"{Tag} {VR} #{Length}";
}

/// <summary>A sequence of items (VR SQ, PS3.5 7.5). Items are data sets whose parent is the data set holding the sequence.</summary>
public sealed class DicomSequence(DicomTag tag, IEnumerable<DicomDataset>? items = null) : DicomElement(tag, VR.SQ, DicomBuffer.Empty)
{
    public List<DicomDataset> Items { get; } = items?.ToList() ?? [];

    public override long Length => 0;

    public override string ToString() => $"{Tag} SQ ({Items.Count} items)";
}

/// <summary>
/// Encapsulated pixel data (PS3.5 A.4): the Basic Offset Table item then one item per fragment. Fragments may be in
/// memory or left in the file.
/// </summary>
public sealed class DicomFragmentSequence(DicomTag tag, VR vr, DicomBuffer offsetTable, IEnumerable<DicomBuffer>? fragments = null)
    : DicomElement(tag, vr, DicomBuffer.Empty)
{
    /// <summary>The raw Basic Offset Table item value (may be empty).</summary>
    public DicomBuffer OffsetTable { get; set; } = offsetTable;

    public List<DicomBuffer> Fragments { get; } = fragments?.ToList() ?? [];

    public override long Length => 0;

    /// <summary>The Basic Offset Table as offsets (from the first fragment item's tag) of each frame's first fragment.</summary>
    public uint[] GetBasicOffsets()
    {
        var bytes = OffsetTable.GetBytes().Span;
        var offsets = new uint[bytes.Length / 4];
        for (var i = 0; i < offsets.Length; i++) offsets[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i * 4)..]);
        return offsets;
    }

    public override string ToString() => $"{Tag} {VR} encapsulated ({Fragments.Count} fragments)";
}
