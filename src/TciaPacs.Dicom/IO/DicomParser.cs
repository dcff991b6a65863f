using System.IO.Compression;
using TciaPacs.Dicom.Values;

namespace TciaPacs.Dicom.IO;

/// <summary>
/// Reads a Part 10 file or a bare data set (PS3.10 7.1, PS3.5 7): detects preamble, file meta and the real encoding of
/// the data set, reads sequences of defined and undefined length, encapsulated pixel data, and leaves large values in
/// the file. Every length is checked against what is left before anything is allocated.
/// </summary>
internal sealed class DicomParser
{
    private ByteSource _src;
    private readonly DicomReadOptions _options;
    private readonly string? _path;
    private bool _valuesAddressable; // offsets in _src are offsets in _path
    private readonly List<string> _warnings = [];
    private bool _stopped;

    private DicomParser(ByteSource src, DicomReadOptions options, string? path)
    {
        _src = src;
        _options = options;
        _path = path;
        _valuesAddressable = path != null && src.CanSeek;
    }

    public static DicomFile Read(Stream stream, DicomReadOptions options, string? path)
    {
        var parser = new DicomParser(new ByteSource(stream), options, path);
        try
        {
            return parser.ReadFile();
        }
        finally
        {
            parser._src.Dispose();
        }
    }

    private DicomFile ReadFile()
    {
        var start = _src.Position;
        var hasPreamble = false;
        var head = _src.Peek(132);
        if (head.Length == 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M' && !StartsWithElement(head))
        {
            hasPreamble = true;
            _src.Skip(132, "preamble");
        }
        else if (_src.Peek(4) is { Length: 4 } p && p[0] == 'D' && p[1] == 'I' && p[2] == 'C' && p[3] == 'M')
        {
            _warnings.Add("'DICM' prefix without the 128-byte preamble");
            _src.Skip(4, "prefix");
        }
        if (_src.IsAtEnd && _src.Position == start) throw new DicomParseException("Empty input: not a DICOM file", start);

        var meta = new DicomDataset();
        var first = _src.Peek(2);
        if (first.Length == 2 && first[0] == 0x02 && first[1] == 0x00)
            ReadMeta(meta);
        else if (hasPreamble)
            _warnings.Add("No file meta information after the preamble");

        var tsUid = meta.GetString(DicomTags.TransferSyntaxUID);
        TransferSyntax declared = tsUid is { Length: > 0 } ? TransferSyntax.Lookup(tsUid) : TransferSyntax.ImplicitVRLittleEndian;
        if (meta.Count > 0 && string.IsNullOrEmpty(tsUid)) _warnings.Add("File meta information has no Transfer Syntax UID (0002,0010)");

        var (explicitVR, bigEndian) = DetectEncoding(declared, tsUid is { Length: > 0 });
        if (declared.IsDeflated)
        {
            var inflated = new DeflateStream(_src.DetachRemaining(), CompressionMode.Decompress, leaveOpen: false);
            _src.Dispose();
            _src = new ByteSource(inflated, startOffset: 0);
            _valuesAddressable = false;
            (explicitVR, bigEndian) = (true, false);
        }
        if (!hasPreamble && meta.Count == 0 && tsUid == null)
            declared = explicitVR ? (bigEndian ? TransferSyntax.ExplicitVRBigEndian : TransferSyntax.ExplicitVRLittleEndian) : TransferSyntax.ImplicitVRLittleEndian;

        if (!hasPreamble && meta.Count == 0 && _src.Peek(4) is { Length: 4 } t && t[0] == 0 && t[1] == 0 && t[2] == 0 && t[3] == 0)
        {
            // Tag (0000,0000) opens a DIMSE command (PS3.7 E.1), never a stored data set: this is zero bytes, e.g. a
            // preamble cut off before its 'DICM', which would otherwise read as a run of empty command group lengths.
            throw new DicomParseException("Input starts with zero bytes where a data element was expected: not a DICOM data set", _src.Position);
        }

        var dataset = new DicomDataset();
        try
        {
            ReadElements(dataset, -1, explicitVR, bigEndian, depth: 0, topLevel: true);
        }
        catch (InvalidDataException ex) when (declared.IsDeflated)
        {
            throw new DicomParseException($"Deflated data set is not valid deflate data (PS3.5 A.5): {ex.Message}", _src.Position, ex);
        }
        if (dataset.Count == 0 && !_stopped && (hasPreamble || meta.Count > 0))
        {
            // A Part 10 file holds one data set after its meta (PS3.10 7.1): with nothing there the file was cut short.
            throw new DicomParseException(meta.Count > 0 ? "No data set after the file meta information: the file is truncated" : "Nothing after the preamble: the file is truncated", _src.Position);
        }
        return new DicomFile(meta, dataset, declared, _warnings, _stopped, _path) { HasPreamble = hasPreamble };
    }

    /// <summary>
    /// A file without preamble can hold "DICM" at byte 128 by chance (e.g. inside a value): when byte 0 already starts a
    /// plausible explicit VR element of group 0002 or 0008 we read from byte 0 (dcmtk needs -f for such files).
    /// </summary>
    private static bool StartsWithElement(ReadOnlySpan<byte> head)
    {
        var group = head[0] | (head[1] << 8);
        return (group == 0x0002 || group == 0x0008) && VR.TryFromBytes(head[4], head[5], out _);
    }

    private void ReadMeta(DicomDataset meta)
    {
        // The meta group is explicit VR little endian (PS3.10 7.1); a few writers put it in implicit VR, which we tolerate.
        var groupEnd = -1L;
        var lastTag = 0u;
        while (true)
        {
            var peek = _src.Peek(6);
            if (peek.Length < 6 || peek[0] != 0x02 || peek[1] != 0x00) break;
            // Past the declared group length, a group 0002 element continues the meta only while tags keep ascending: a
            // wrong group length (fo-dicom #364) is tolerated, a second meta block inside the data set (#1376) is not meta.
            var tagValue = (uint)(0x0002 << 16 | peek[2] | peek[3] << 8);
            if (groupEnd >= 0 && _src.Position >= groupEnd && tagValue <= lastTag) break;
            var explicitMeta = VR.TryFromBytes(peek[4], peek[5], out _);
            if (!explicitMeta) _warnings.Add("File meta information in implicit VR");
            var e = ReadElement(meta, explicitMeta, false, 0, topLevel: false);
            if (e == null) break;
            meta.Add(e);
            lastTag = e.Tag.Value;
            if (e.Tag == DicomTags.FileMetaInformationGroupLength && e.Buffer.Length == 4)
                groupEnd = _src.Position + BitConverter.ToUInt32(e.Buffer.GetBytes().Span);
        }
        if (groupEnd >= 0 && _src.Position != groupEnd)
            _warnings.Add($"File Meta Information Group Length says the meta ends at byte {groupEnd}, but it ends at byte {_src.Position}");
        // Presence only: a group length written in a text VR must not be parsed as a number here (it may be garbage).
        if (!meta.Contains(DicomTags.FileMetaInformationGroupLength)) _warnings.Add("No File Meta Information Group Length (0002,0000)");
    }

    /// <summary>
    /// The encoding the data set really uses. Some writers put implicit VR data under an explicit transfer syntax (or the
    /// reverse), or leave out the file meta; like dcmtk we look at the first element to decide.
    /// </summary>
    private (bool ExplicitVR, bool BigEndian) DetectEncoding(TransferSyntax declared, bool declaredKnown)
    {
        var b = _src.Peek(6);
        if (b.Length < 6 || declared.IsDeflated) return (declared.IsExplicitVR, !declared.IsLittleEndian);
        var looksExplicit = VR.TryFromBytes(b[4], b[5], out var vr);
        var groupLE = (ushort)(b[0] | (b[1] << 8));
        var groupBE = (ushort)((b[0] << 8) | b[1]);
        if (!declaredKnown)
        {
            if (looksExplicit)
            {
                var be = groupBE < groupLE && groupBE != 0 && (groupLE & 0xFF00) != 0 && groupBE <= 0x00FF;
                return (true, be);
            }
            return (false, false);
        }
        if (declared.IsExplicitVR && !looksExplicit)
        {
            _warnings.Add($"Data set is implicit VR although the transfer syntax {declared.Uid} is explicit VR");
            return (false, false);
        }
        if (!declared.IsExplicitVR && looksExplicit)
        {
            // Only switch when the VR is what the dictionary says for this tag: implicit lengths can look like letters.
            var tag = new DicomTag(groupLE, (ushort)(b[2] | (b[3] << 8)));
            var entry = DicomDictionary.Find(tag);
            if (entry != null && entry.ValueRepresentations.Contains(vr))
            {
                _warnings.Add($"Data set is explicit VR although the transfer syntax {declared.Uid} is implicit VR");
                return (true, false);
            }
        }
        return (declared.IsExplicitVR, !declared.IsLittleEndian);
    }

    private enum EndReason { EndOfData, ItemDelimiter, SequenceDelimiter, Stopped }

    /// <summary>Reads elements into <paramref name="ds"/> until <paramref name="end"/> (absolute offset, -1 for undefined length).</summary>
    private EndReason ReadElements(DicomDataset ds, long end, bool explicitVR, bool bigEndian, int depth, bool topLevel)
    {
        while (true)
        {
            if (end >= 0 && _src.Position >= end)
            {
                if (_src.Position > end) throw new DicomParseException($"Element overruns the end of its item (item ends at byte {end})", _src.Position);
                return EndReason.EndOfData;
            }
            if (_src.IsAtEnd)
            {
                if (end < 0 && !topLevel)
                    throw new DicomParseException("Unexpected end of data inside an item of undefined length (Item Delimitation Item missing)", _src.Position);
                if (end >= 0) throw new DicomParseException($"Unexpected end of data: item should end at byte {end}", _src.Position);
                return EndReason.EndOfData;
            }
            if (topLevel && end < 0 && ds.Count > 0 && _src.Peek(4).IsEmpty)
            {
                // One to three zero bytes after the last element: padding, not a tag. PixelMed sends a value of odd
                // length as it is and pads its last fragment to even with a zero byte; dcmtk reads past it too.
                var left = !_src.Peek(3).IsEmpty ? 3 : !_src.Peek(2).IsEmpty ? 2 : 1;
                if (!_src.Peek(left).ContainsAnyExcept((byte)0))
                {
                    _warnings.Add($"{left} zero byte(s) after the last element at byte {_src.Position} ignored (padding)");
                    _src.Skip(left, "trailing padding");
                    return EndReason.EndOfData;
                }
            }
            if (topLevel && _options.StopBeforeTag is { } stop)
            {
                var p = _src.Peek(4);
                if (p.Length == 4)
                {
                    var g = bigEndian ? (ushort)((p[0] << 8) | p[1]) : (ushort)(p[0] | (p[1] << 8));
                    var el = bigEndian ? (ushort)((p[2] << 8) | p[3]) : (ushort)(p[2] | (p[3] << 8));
                    if (new DicomTag(g, el) >= stop && g != 0xFFFE)
                    {
                        _stopped = true;
                        return EndReason.Stopped;
                    }
                }
            }
            var tagOffset = _src.Position;
            var group = _src.ReadUInt16(bigEndian, "a tag");
            var element = _src.ReadUInt16(bigEndian, "a tag");
            var tag = new DicomTag(group, element);
            if (tag == DicomTag.ItemDelimitationItem)
            {
                _src.ReadUInt32(bigEndian, "an item delimiter length");
                if (end < 0 && !topLevel) return EndReason.ItemDelimiter;
                _warnings.Add($"Stray Item Delimitation Item at byte {tagOffset} ignored");
                continue;
            }
            if (tag == DicomTag.SequenceDelimitationItem)
            {
                _src.ReadUInt32(bigEndian, "a sequence delimiter length");
                if (!topLevel)
                {
                    _warnings.Add($"Item Delimitation Item missing before the Sequence Delimitation Item at byte {tagOffset}");
                    return EndReason.SequenceDelimiter;
                }
                _warnings.Add($"Stray Sequence Delimitation Item at byte {tagOffset} ignored");
                continue;
            }
            if (tag == DicomTag.Item)
            {
                // An item outside any sequence (a writer lost the sequence header, fo-dicom #364): skip it when its length
                // says where it ends, so the elements after it are still read.
                var itemLength = _src.ReadUInt32(bigEndian, "an item length");
                if (itemLength == 0xFFFFFFFF)
                    throw new DicomParseException("Item tag (FFFE,E000) of undefined length found where a data element was expected", tagOffset);
                _warnings.Add($"Item (FFFE,E000) of {itemLength} bytes outside any sequence at byte {tagOffset}: skipped");
                _src.Skip(itemLength, "a stray item");
                continue;
            }
            var e = ReadElementBody(ds, tag, tagOffset, explicitVR, bigEndian, depth);
            if (e != null) ds.Add(e);
            if (_stopped) return EndReason.Stopped;
        }
    }

    private DicomElement? ReadElement(DicomDataset ds, bool explicitVR, bool bigEndian, int depth, bool topLevel)
    {
        var tagOffset = _src.Position;
        var group = _src.ReadUInt16(bigEndian, "a tag");
        var element = _src.ReadUInt16(bigEndian, "a tag");
        return ReadElementBody(ds, new DicomTag(group, element), tagOffset, explicitVR, bigEndian, depth);
    }

    private DicomElement? ReadElementBody(DicomDataset ds, DicomTag tag, long tagOffset, bool explicitVR, bool bigEndian, int depth)
    {
        VR vr;
        uint length;
        var vrFromDictionary = false;
        if (explicitVR)
        {
            var (a, b) = _src.ReadTwoBytes();
            if (VR.TryFromBytes(a, b, out vr))
            {
                if (vr.HasLongLength)
                {
                    _src.ReadUInt16(bigEndian, "reserved bytes");
                    length = _src.ReadUInt32(bigEndian, "a value length");
                }
                else length = _src.ReadUInt16(bigEndian, "a value length");
            }
            else
            {
                // dcmtk: "Non-standard VR … assuming 2 byte length field".
                // The value is kept as UN, as dcmtk does: its bytes are not trusted to be what the dictionary says.
                _warnings.Add($"Non-standard VR '{Printable(a)}{Printable(b)}' ({a:X2}\\{b:X2}) in {tag} at byte {tagOffset}, assuming a 2-byte length");
                vr = VR.UN;
                length = _src.ReadUInt16(bigEndian, "a value length");
            }
        }
        else
        {
            vr = ImplicitVR(ds, tag);
            vrFromDictionary = true;
            length = _src.ReadUInt32(bigEndian, "a value length");
        }

        var undefined = length == 0xFFFFFFFF;
        if (undefined)
        {
            if (vr == VR.SQ || (vrFromDictionary && vr == VR.UN))
                return ReadSequence(ds, tag, -1, explicitVR, bigEndian, depth);
            if (vr == VR.UN)
            {
                // CP-246: UN of undefined length is a sequence encoded in implicit VR little endian.
                _warnings.Add($"{tag} has VR UN and undefined length: read as a sequence in implicit VR little endian (CP-246)");
                return ReadSequence(ds, tag, -1, false, false, depth);
            }
            if (vr == VR.OB || vr == VR.OW || tag == DicomTags.PixelData)
                return ReadFragments(tag, VR.OB, bigEndian); // encapsulated pixel data is OB (PS3.5 A.4), whatever the header said
            throw new DicomParseException($"{tag} {vr} has undefined length, which only SQ, UN and encapsulated pixel data may have", tagOffset);
        }
        if (vr == VR.SQ)
        {
            var remaining = _src.Remaining;
            if (remaining >= 0 && length > remaining)
            {
                // dcmtk reads on to the end of the data; each element inside is still checked against what is left.
                _warnings.Add($"Sequence {tag} declares {length} bytes but only {remaining} remain: reading to the end of the data");
                return ReadSequence(ds, tag, _src.Position + remaining, explicitVR, bigEndian, depth);
            }
            return ReadSequence(ds, tag, _src.Position + length, explicitVR, bigEndian, depth);
        }
        if (vrFromDictionary && vr == VR.UN && length > 0 && !tag.IsPrivateCreator && LooksLikeImplicitSequence(length, bigEndian))
        {
            // Private sequences in implicit VR have no VR to say so; read them as pydicom and dcmtk do when the bytes are an item.
            return ReadSequence(ds, tag, _src.Position + length, explicitVR, bigEndian, depth);
        }
        var unit = vr == VR.AT ? 2 : vr.UnitSize;
        var what = new ValueName(tag, vr);
        if (_valuesAddressable && length >= _options.LargeValueThreshold && length > 0)
        {
            var offset = _src.Position;
            _src.Skip(length, what);
            return new DicomElement(tag, vr, new FileBuffer(_path!, offset, length, bigEndian && unit > 1 ? unit : 1));
        }
        var bytes = _src.ReadBytes(length, what);
        if (bigEndian && unit > 1) SwapInPlace(bytes, unit);
        return new DicomElement(tag, vr, new MemoryBuffer(bytes));
    }

    private bool LooksLikeImplicitSequence(uint length, bool bigEndian)
    {
        if (length < 8) return false;
        var p = _src.Peek(4);
        if (p.Length < 4) return false;
        var g = bigEndian ? (p[0] << 8) | p[1] : p[0] | (p[1] << 8);
        var e = bigEndian ? (p[2] << 8) | p[3] : p[2] | (p[3] << 8);
        return g == 0xFFFE && e == 0xE000;
    }

    private static char Printable(byte b) => b is >= 0x20 and < 0x7F ? (char)b : '?';

    private static VR ImplicitVR(DicomDataset ds, DicomTag tag)
    {
        var entry = DicomDictionary.Find(tag);
        if (entry == null || entry.ValueRepresentations.Count == 0) return VR.UN;
        return VRResolver.Resolve(tag, entry, ds);
    }

    private DicomSequence ReadSequence(DicomDataset parent, DicomTag tag, long end, bool explicitVR, bool bigEndian, int depth)
    {
        if (depth >= _options.MaxSequenceDepth)
            throw new DicomParseException($"Sequences nested deeper than {_options.MaxSequenceDepth} levels in {tag}", _src.Position);
        var seq = new DicomSequence(tag);
        while (true)
        {
            if (end >= 0)
            {
                if (_src.Position == end) break;
                if (_src.Position > end) throw new DicomParseException($"Items overrun the end of sequence {tag} (byte {end})", _src.Position);
            }
            var itemOffset = _src.Position;
            if (_src.IsAtEnd)
                throw new DicomParseException($"Unexpected end of data in sequence {tag} (Sequence Delimitation Item missing)", itemOffset);
            var group = _src.ReadUInt16(bigEndian, "an item tag");
            var element = _src.ReadUInt16(bigEndian, "an item tag");
            var itemTag = new DicomTag(group, element);
            var length = _src.ReadUInt32(bigEndian, "an item length");
            if (itemTag == DicomTag.SequenceDelimitationItem)
            {
                if (end >= 0) _warnings.Add($"Sequence Delimitation Item inside the defined-length sequence {tag}");
                break;
            }
            if (itemTag != DicomTag.Item)
                throw new DicomParseException($"Sequence {tag}: found {itemTag} where an item (FFFE,E000) or the sequence delimiter was expected", itemOffset);
            // Items need their parent while they are read, to inherit the character set and Pixel Representation.
            var item = new DicomDataset { Parent = parent };
            seq.Items.Add(item);
            var itemEnd = -1L;
            if (length != 0xFFFFFFFF)
            {
                var remaining = _src.Remaining;
                if (remaining >= 0 && length > remaining)
                {
                    _warnings.Add($"Item of sequence {tag} declares {length} bytes but only {remaining} remain: reading to the end of the data");
                    length = (uint)remaining;
                }
                itemEnd = _src.Position + length;
            }
            var reason = ReadElements(item, itemEnd, explicitVR, bigEndian, depth + 1, topLevel: false);
            if (reason == EndReason.SequenceDelimiter) break;
        }
        return seq;
    }

    private DicomFragmentSequence ReadFragments(DicomTag tag, VR vr, bool bigEndian)
    {
        DicomBuffer? offsetTable = null;
        var fragments = new List<DicomBuffer>();
        // Small fragments (a cine of 20 KB JPEG frames) add up: once those kept in memory reach the large-value
        // threshold, the rest stay in the file, so memory is bounded whatever the number of frames.
        long inMemory = 0;
        while (true)
        {
            var itemOffset = _src.Position;
            if (_src.IsAtEnd) throw new DicomParseException($"Unexpected end of data in encapsulated {tag} (Sequence Delimitation Item missing)", itemOffset);
            var group = _src.ReadUInt16(bigEndian, "a fragment tag");
            var element = _src.ReadUInt16(bigEndian, "a fragment tag");
            var itemTag = new DicomTag(group, element);
            var length = _src.ReadUInt32(bigEndian, "a fragment length");
            if (itemTag == DicomTag.SequenceDelimitationItem) break;
            if (itemTag != DicomTag.Item)
                throw new DicomParseException($"Encapsulated {tag}: found {itemTag} where a fragment item (FFFE,E000) was expected", itemOffset);
            if (length == 0xFFFFFFFF) throw new DicomParseException($"Fragment of {tag} has undefined length", itemOffset);
            DicomBuffer buffer;
            var isFragment = offsetTable != null;
            if (_valuesAddressable && (length >= _options.LargeValueThreshold || (isFragment && inMemory + length > _options.LargeValueThreshold)))
            {
                var offset = _src.Position;
                _src.Skip(length, $"a fragment of {tag}");
                buffer = new FileBuffer(_path!, offset, length);
            }
            else
            {
                buffer = new MemoryBuffer(_src.ReadBytes(length, $"a fragment of {tag}"));
                if (isFragment) inMemory += length;
            }
            if (offsetTable == null) offsetTable = buffer;
            else fragments.Add(buffer);
        }
        return new DicomFragmentSequence(tag, vr, offsetTable ?? DicomBuffer.Empty, fragments);
    }

    internal static void SwapInPlace(Span<byte> bytes, int unit)
    {
        var whole = bytes.Length - bytes.Length % unit;
        for (var i = 0; i < whole; i += unit) bytes.Slice(i, unit).Reverse();
    }
}
