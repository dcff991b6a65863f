using System.Buffers.Binary;
using System.IO.Compression;

namespace TciaPacs.Dicom.IO;

/// <summary>
/// Writes Part 10 files and bare data sets in any native or deflated transfer syntax (PS3.5 7, A.1-A.3, A.5), and
/// passes encapsulated pixel data through untouched (PS3.5 A.4). Values are padded to even length with the VR's pad byte.
/// </summary>
public sealed class DicomWriter
{
    private readonly Stream _out;
    private readonly bool _explicitVR;
    private readonly bool _bigEndian;
    private readonly DicomWriteOptions _options;
    private readonly byte[] _scratch = new byte[16];

    private DicomWriter(Stream output, bool explicitVR, bool bigEndian, DicomWriteOptions options)
    {
        _out = output;
        _explicitVR = explicitVR;
        _bigEndian = bigEndian;
        _options = options;
    }

    public static void WriteFile(Stream output, DicomFile file, TransferSyntax ts, DicomWriteOptions options)
    {
        var buffered = new BufferedStream(output, 64 * 1024);
        buffered.Write(new byte[128]);
        buffered.Write("DICM"u8);
        var meta = BuildMeta(file.Meta, file.Dataset, ts);
        new DicomWriter(buffered, true, false, options).WriteMeta(meta);
        WriteDataset(buffered, file.Dataset, ts, options);
        buffered.Flush();
    }

    /// <summary>Writes a bare data set (no preamble, no meta), as sent in a P-DATA-TF or stored in a STOW part body.</summary>
    public static void WriteDataset(Stream output, DicomDataset dataset, TransferSyntax ts, DicomWriteOptions? options = null)
    {
        options ??= DicomWriteOptions.Default;
        if (!ts.IsEncapsulated && dataset.Get(DicomTags.PixelData) is DicomFragmentSequence)
            throw new InvalidOperationException($"Pixel data is encapsulated; it cannot be written as {ts.Name} without decoding it first (use a transcoder with a codec).");
        if (ts.IsEncapsulated && dataset.Get(DicomTags.PixelData) is { } pd && pd is not DicomFragmentSequence)
            throw new InvalidOperationException($"Pixel data is native; {ts.Name} needs it encoded first (use a transcoder with a codec).");
        if (ts.IsDeflated)
        {
            using var deflate = new DeflateStream(output, options.DeflateLevel, leaveOpen: true);
            var buffered = new BufferedStream(deflate, 64 * 1024);
            new DicomWriter(buffered, true, false, options).WriteElements(dataset);
            buffered.Flush();
            return;
        }
        var w = new DicomWriter(output, ts.IsExplicitVR, !ts.IsLittleEndian, options);
        w.WriteElements(dataset);
    }

    /// <summary>The file meta for <paramref name="dataset"/> written as <paramref name="ts"/>, keeping what the source meta had that is still true (PS3.10 7.1).</summary>
    public static DicomDataset BuildMeta(DicomDataset? source, DicomDataset dataset, TransferSyntax ts)
    {
        var meta = new DicomDataset();
        meta.AddOrUpdate(DicomTags.FileMetaInformationVersion, VR.OB, new byte[] { 0, 1 });
        var sopClass = NonEmpty(dataset.GetString(DicomTags.SOPClassUID)) ?? NonEmpty(source?.GetString(DicomTags.MediaStorageSOPClassUID)) ?? "";
        var sopInstance = NonEmpty(dataset.GetString(DicomTags.SOPInstanceUID)) ?? NonEmpty(source?.GetString(DicomTags.MediaStorageSOPInstanceUID)) ?? "";
        meta.AddOrUpdate(DicomTags.MediaStorageSOPClassUID, VR.UI, sopClass);
        meta.AddOrUpdate(DicomTags.MediaStorageSOPInstanceUID, VR.UI, sopInstance);
        meta.AddOrUpdate(DicomTags.TransferSyntaxUID, VR.UI, ts.Uid);
        meta.AddOrUpdate(DicomTags.ImplementationClassUID, VR.UI, DicomUids.ImplementationClassUid);
        meta.AddOrUpdate(DicomTags.ImplementationVersionName, VR.SH, DicomUids.ImplementationVersionName);
        if (source != null)
        {
            foreach (var tag in new[] { DicomTags.SourceApplicationEntityTitle, DicomTags.SendingApplicationEntityTitle, DicomTags.ReceivingApplicationEntityTitle, DicomTags.PrivateInformationCreatorUID, DicomTags.PrivateInformation })
                if (source.Get(tag) is { } e) meta.Add(e);
        }
        return meta;
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private void WriteMeta(DicomDataset meta)
    {
        var body = new MemoryStream();
        var w = new DicomWriter(body, true, false, _options);
        foreach (var e in meta)
            if (e.Tag != DicomTags.FileMetaInformationGroupLength) w.WriteElement(e);
        WriteHeader(DicomTags.FileMetaInformationGroupLength, VR.UL, 4);
        WriteUInt32((uint)body.Length);
        body.Position = 0;
        body.CopyTo(_out);
    }

    private void WriteElements(DicomDataset ds)
    {
        foreach (var e in ds)
        {
            if (e.Tag.IsGroupLength && !_options.KeepGroupLengths) continue;
            WriteElement(e);
        }
    }

    private void WriteElement(DicomElement e)
    {
        switch (e)
        {
            case DicomSequence sq:
                WriteSequence(sq);
                return;
            case DicomFragmentSequence f:
                WriteFragments(f);
                return;
        }
        var vr = e.VR;
        var length = e.Buffer.Length;
        var padded = length + (length & 1);
        if (_explicitVR && !vr.HasLongLength && padded > 0xFFFF)
        {
            // A value too long for a 16-bit length can only be written as UN (PS3.5 6.2.2 note).
            vr = VR.UN;
        }
        if (padded > uint.MaxValue - 1) throw new InvalidOperationException($"{e.Tag} value of {length} bytes exceeds the 4 GiB a DICOM length can say.");
        WriteHeader(e.Tag, vr, (uint)padded);
        WriteValue(e, vr);
        if ((length & 1) == 1) _out.WriteByte(e.VR.PadByte);
    }

    private void WriteValue(DicomElement e, VR vr)
    {
        var unit = e.VR == VR.AT ? 2 : e.VR.UnitSize;
        var swap = _bigEndian && unit > 1 && vr != VR.UN;
        if (e.Buffer is MemoryBuffer mb)
        {
            if (!swap) { _out.Write(mb.Bytes.Span); return; }
            var copy = mb.Bytes.ToArray();
            DicomParser.SwapInPlace(copy, unit);
            _out.Write(copy);
            return;
        }
        using var s = e.Buffer.OpenRead();
        if (swap)
        {
            using var swapped = new ByteSwapStream(s, unit);
            swapped.CopyTo(_out, 81920);
        }
        else s.CopyTo(_out, 81920);
    }

    private void WriteSequence(DicomSequence sq)
    {
        if (_options.ExplicitLengthSequences)
        {
            WriteHeader(sq.Tag, VR.SQ, checked((uint)SequenceContentLength(sq)));
            foreach (var item in sq.Items)
            {
                WriteTag(DicomTag.Item);
                WriteUInt32(checked((uint)ItemContentLength(item)));
                WriteElements(item);
            }
            return;
        }
        WriteHeader(sq.Tag, VR.SQ, 0xFFFFFFFF);
        foreach (var item in sq.Items)
        {
            WriteTag(DicomTag.Item);
            WriteUInt32(0xFFFFFFFF);
            WriteElements(item);
            WriteTag(DicomTag.ItemDelimitationItem);
            WriteUInt32(0);
        }
        WriteTag(DicomTag.SequenceDelimitationItem);
        WriteUInt32(0);
    }

    private void WriteFragments(DicomFragmentSequence f)
    {
        WriteHeader(f.Tag, f.VR == VR.OW ? VR.OW : VR.OB, 0xFFFFFFFF);
        WriteTag(DicomTag.Item);
        WriteUInt32((uint)f.OffsetTable.Length);
        if (f.OffsetTable.Length > 0 && f.Fragments.Any(x => (x.Length & 1) == 1)) _out.Write(ShiftedOffsetTable(f));
        else f.OffsetTable.CopyTo(_out);
        // Fragments left in one file are read through one handle, not one open per fragment.
        using var reader = new FileBufferReader();
        byte[]? scratch = null;
        try
        {
            foreach (var fragment in f.Fragments)
            {
                // Fragments have even length (PS3.5 A.4); an odd one from a sloppy writer is padded with a zero byte.
                var odd = (fragment.Length & 1) == 1;
                WriteTag(DicomTag.Item);
                WriteUInt32(checked((uint)(fragment.Length + (odd ? 1 : 0))));
                if (fragment is FileBuffer { SwapUnit: 1 } file) reader.CopyTo(file, _out, scratch ??= System.Buffers.ArrayPool<byte>.Shared.Rent(81920));
                else fragment.CopyTo(_out);
                if (odd) _out.WriteByte(0);
            }
        }
        finally
        {
            if (scratch != null) System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
        WriteTag(DicomTag.SequenceDelimitationItem);
        WriteUInt32(0);
    }

    /// <summary>The Basic Offset Table adjusted for the pad bytes that odd fragments get on writing.</summary>
    private static byte[] ShiftedOffsetTable(DicomFragmentSequence f)
    {
        var oldStarts = new Dictionary<long, long>();
        long oldOffset = 0, newOffset = 0;
        foreach (var fragment in f.Fragments)
        {
            oldStarts[oldOffset] = newOffset;
            oldOffset += 8 + fragment.Length;
            newOffset += 8 + fragment.Length + (fragment.Length & 1);
        }
        var offsets = f.GetBasicOffsets();
        var result = new byte[offsets.Length * 4];
        for (var i = 0; i < offsets.Length; i++)
        {
            var shifted = oldStarts.TryGetValue(offsets[i], out var n) ? n : offsets[i];
            BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(i * 4), checked((uint)shifted));
        }
        return result;
    }

    private long ElementLength(DicomElement e)
    {
        var header = !_explicitVR ? 8 : (e.VR.HasLongLength || e is DicomSequence or DicomFragmentSequence ? 12 : 8);
        return e switch
        {
            DicomSequence sq => header + SequenceContentLength(sq),
            DicomFragmentSequence f => header + 8 + f.OffsetTable.Length + f.Fragments.Sum(x => 8 + x.Length + (x.Length & 1)) + 8,
            _ => ValueHeaderLength(e) + e.Buffer.Length + (e.Buffer.Length & 1),
        };
    }

    private long ValueHeaderLength(DicomElement e)
    {
        if (!_explicitVR) return 8;
        var padded = e.Buffer.Length + (e.Buffer.Length & 1);
        return e.VR.HasLongLength || padded > 0xFFFF ? 12 : 8;
    }

    private long SequenceContentLength(DicomSequence sq) => sq.Items.Sum(i => 8 + ItemContentLength(i));

    private long ItemContentLength(DicomDataset item) =>
        item.Where(e => _options.KeepGroupLengths || !e.Tag.IsGroupLength).Sum(ElementLength);

    private void WriteHeader(DicomTag tag, VR vr, uint length)
    {
        WriteTag(tag);
        if (!_explicitVR)
        {
            WriteUInt32(length);
            return;
        }
        _scratch[0] = (byte)(vr.Code >> 8);
        _scratch[1] = (byte)vr.Code;
        if (vr.HasLongLength)
        {
            _scratch[2] = 0;
            _scratch[3] = 0;
            _out.Write(_scratch, 0, 4);
            WriteUInt32(length);
        }
        else
        {
            _out.Write(_scratch, 0, 2);
            WriteUInt16((ushort)length);
        }
    }

    private void WriteTag(DicomTag tag)
    {
        WriteUInt16(tag.Group);
        WriteUInt16(tag.Element);
    }

    private void WriteUInt16(ushort v)
    {
        if (_bigEndian) BinaryPrimitives.WriteUInt16BigEndian(_scratch.AsSpan(8), v);
        else BinaryPrimitives.WriteUInt16LittleEndian(_scratch.AsSpan(8), v);
        _out.Write(_scratch, 8, 2);
    }

    private void WriteUInt32(uint v)
    {
        if (_bigEndian) BinaryPrimitives.WriteUInt32BigEndian(_scratch.AsSpan(8), v);
        else BinaryPrimitives.WriteUInt32LittleEndian(_scratch.AsSpan(8), v);
        _out.Write(_scratch, 8, 4);
    }
}
