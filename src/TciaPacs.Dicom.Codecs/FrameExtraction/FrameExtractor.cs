using System.Buffers.Binary;
using System.Globalization;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Codecs.FrameExtraction;

/// <summary>Who extracts frames: the item added to Contributing Equipment Sequence (0018,A001) of each extracted instance.</summary>
public sealed record ExtractingEquipment(string Manufacturer, string? SoftwareVersions = null, string? StationName = null);

/// <summary>
/// Makes the new instance of a FRAME level Composite Instance Root Retrieve (PS3.4 Y.3.3): the source's SOP class,
/// patient, study and series, a new SOP Instance UID, the requested frames in their order and everything that
/// describes frames cut to them, the Frame Extraction Module and a Contributing Equipment item (109105, DCM, "Frame
/// Extracting Equipment"). The frames are not decoded: native ones are windows of the stored value, encapsulated ones
/// their fragments, so the result is written (or sent) straight from the stored file. Tiles of a TILED_FULL image become
/// a TILED_SPARSE one, each placed explicitly (<see cref="TiledFullLayout"/>).
/// </summary>
public static class FrameExtractor
{
    /// <summary>
    /// The number of frames of an instance frames can be taken from, or why none can: no multi-frame image (no Number
    /// of Frames or no pixel data: AA01), or pixel data that cannot be cut into frames (a video stream, pixel data
    /// kept elsewhere, a TILED_FULL image whose tiles cannot be placed from what it says: AA02).
    /// </summary>
    public static int CountFrames(DicomDataset source, TransferSyntax transferSyntax)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(transferSyntax);
        if (PixelTag(source) is null)
        {
            if (source.Contains(DicomTags.PixelDataProviderURL))
                throw CannotExtract("its pixel data are not here but at its Pixel Data Provider URL (0028,7FE0)");
            throw new FrameExtractionException(FrameExtractionFailure.NotMultiFrame, "the instance has no pixel data to take frames from");
        }
        if (!source.Contains(DicomTags.NumberOfFrames))
            throw new FrameExtractionException(FrameExtractionFailure.NotMultiFrame,
                "the instance has no Number of Frames (0028,0008): it is no multi-frame image, and frames are extracted from multi-frame images only");
        if (IsVideo(transferSyntax))
            throw CannotExtract($"its frames are one {transferSyntax.Name} stream, which this server does not cut");
        var n = PixelDataInfo.ReadNumberOfFrames(source);
        if (TiledFullLayout.IsTiledFull(source)) TiledFullLayout.Of(source, n);
        return n;
    }

    /// <summary>
    /// The new instance holding <paramref name="frames"/> (0-based, increasing, as <see cref="FrameRange.Select"/>
    /// gives them) of <paramref name="source"/>, in its transfer syntax; its large values stay in the source's file.
    /// Throws <see cref="FrameExtractionException"/> when the instance cannot give them.
    /// </summary>
    public static DicomFile Extract(DicomFile source, FrameRange range, IReadOnlyList<int> frames, string sopInstanceUid, ExtractingEquipment equipment, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(equipment);
        var n = CountFrames(source.Dataset, source.TransferSyntax);
        if (frames.Count == 0 || frames[0] < 0 || frames[^1] >= n || frames.Zip(frames.Skip(1)).Any(p => p.Second <= p.First))
            throw new ArgumentException($"frames must be increasing frame indexes of the instance's {n}", nameof(frames));

        var ds = source.Dataset.Clone();
        var sourceUid = ds.GetString(DicomTags.SOPInstanceUID)?.Trim('\0', ' ') ?? "";
        SelectPixelData(ds, frames, n);
        ds.AddOrUpdate(DicomTags.NumberOfFrames, VR.IS, frames.Count.ToString(CultureInfo.InvariantCulture));
        SelectPerFrameGroups(ds, frames, n);
        if (TiledFullLayout.IsTiledFull(source.Dataset)) TiledFullLayout.Of(source.Dataset, n).Apply(ds, frames);
        SelectFrameTimes(ds, frames, n);
        SelectIncrementVectors(ds, frames, n);
        RenumberFrameReferences(ds, frames);
        RemoveWhatCannotFollow(ds);

        ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, sopInstanceUid);
        ds.AddOrUpdate(DicomTags.InstanceCreationDate, VR.DA, now.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
        ds.AddOrUpdate(DicomTags.InstanceCreationTime, VR.TM, now.ToString("HHmmss.ffffff", CultureInfo.InvariantCulture));
        Append(ds, DicomTags.FrameExtractionSequence, range.ExtractionItem(sourceUid));
        Append(ds, DicomTags.ContributingEquipmentSequence, EquipmentItem(equipment, range, sourceUid, now));
        return new DicomFile(DicomWriter.BuildMeta(source.Meta, ds, source.TransferSyntax), ds, source.TransferSyntax);
    }

    /// <summary>MPEG-2, MPEG-4 AVC/H.264, HEVC/H.265, SMPTE ST 2110 and JPIP syntaxes: frames that are no separate fragments.</summary>
    private static bool IsVideo(TransferSyntax ts) =>
        DicomUids.Find(ts.Uid)?.Name is { } name
        && (name.Contains("MPEG", StringComparison.Ordinal) || name.Contains("HEVC", StringComparison.Ordinal)
            || name.Contains("SMPTE ST 2110", StringComparison.Ordinal) || name.Contains("JPIP", StringComparison.Ordinal));

    private static DicomTag? PixelTag(DicomDataset ds) =>
        ds.Contains(DicomTags.PixelData) ? DicomTags.PixelData
        : ds.Contains(DicomTags.FloatPixelData) ? DicomTags.FloatPixelData
        : ds.Contains(DicomTags.DoubleFloatPixelData) ? DicomTags.DoubleFloatPixelData
        : null;

    private static void SelectPixelData(DicomDataset ds, IReadOnlyList<int> frames, int n)
    {
        var tag = PixelTag(ds)!.Value;
        var element = ds.Get(tag)!;
        if (element is DicomFragmentSequence)
        {
            EncapsulatedFrames encapsulated;
            try { encapsulated = EncapsulatedFrames.FromDataset(ds); }
            catch (DicomCodecException ex) { throw CannotExtract($"its encapsulated pixel data cannot be split into frames: {ex.Message}"); }
            if (encapsulated.Count != n) throw CannotExtract($"its encapsulated pixel data hold {encapsulated.Count} frames, not the {n} of Number of Frames");
            // Each frame keeps its fragments; a Basic Offset Table gives where each starts (counted, as the writer
            // expects, from the fragments' lengths before any padding), unless the offsets pass 4 GiB.
            var fragments = new List<DicomBuffer>();
            var offsets = new List<long>();
            long at = 0;
            foreach (var f in frames)
            {
                offsets.Add(at);
                foreach (var fragment in encapsulated.GetFragments(f))
                {
                    fragments.Add(fragment);
                    at += 8 + fragment.Length;
                }
            }
            var table = offsets[^1] > uint.MaxValue ? [] : new byte[offsets.Count * 4];
            for (var i = 0; i < table.Length / 4; i++) BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(i * 4), (uint)offsets[i]);
            ds.Add(new DicomFragmentSequence(tag, element.VR, new MemoryBuffer(table), fragments));
            // An Extended Offset Table describes the frames as they were.
            ds.Remove(DicomTags.ExtendedOffsetTable);
            ds.Remove(DicomTags.ExtendedOffsetTableLengths);
            return;
        }

        long frameSize;
        var bitPacked = false;
        if (tag == DicomTags.PixelData)
        {
            PixelDataInfo info;
            try { info = PixelDataInfo.FromDataset(ds); }
            catch (DicomCodecException ex) { throw CannotExtract(ex.Message); }
            frameSize = info.NativeFrameSize;
            bitPacked = info.BitsAllocated == 1 && info.FrameBits % 8 != 0;
            if (bitPacked)
            {
                ds.Add(new DicomElement(tag, element.VR, new MemoryBuffer(SelectBits(element.Buffer, info.FrameBits, frames, n))));
                return;
            }
        }
        else
        {
            var rows = StoredNumbers.Int(ds, DicomTags.Rows) ?? 0;
            var columns = StoredNumbers.Int(ds, DicomTags.Columns) ?? 0;
            frameSize = rows * columns * (tag == DicomTags.FloatPixelData ? 4 : 8);
        }
        if (frameSize <= 0 || element.Buffer.Length < frameSize * n)
            throw CannotExtract($"its pixel data hold {element.Buffer.Length} bytes, fewer than {n} frames of {frameSize}");
        var parts = new List<DicomBuffer>(frames.Count);
        try
        {
            foreach (var f in frames) parts.Add(element.Buffer.Slice(f * frameSize, frameSize));
        }
        catch (ArgumentException ex)
        {
            throw CannotExtract($"its pixel data cannot be cut at frame boundaries: {ex.Message}");
        }
        ds.Add(new DicomElement(tag, element.VR, new ConcatenatedBuffer(parts)));
    }

    /// <summary>1-bit frames whose bits are no multiple of 8 follow each other bit by bit (PS3.5 8.1.1): repacked the same way.</summary>
    private static byte[] SelectBits(DicomBuffer value, long frameBits, IReadOnlyList<int> frames, int n)
    {
        if ((frameBits * n + 7) / 8 > value.Length) throw CannotExtract($"its pixel data hold {value.Length} bytes, fewer than {n} frames of {frameBits} bits");
        var all = value.GetBytes().Span;
        var result = new byte[(frameBits * frames.Count + 7) / 8];
        long target = 0;
        foreach (var f in frames)
            for (long bit = f * frameBits, end = bit + frameBits; bit < end; bit++, target++)
                if ((all[(int)(bit >> 3)] >> (int)(bit & 7) & 1) != 0) result[target >> 3] |= (byte)(1 << (int)(target & 7));
        return result;
    }

    /// <summary>Per-frame Functional Groups Sequence (5200,9230): the items of the frames kept, one per frame (PS3.3 C.7.6.16.1.2).</summary>
    private static void SelectPerFrameGroups(DicomDataset ds, IReadOnlyList<int> frames, int n)
    {
        if (ds.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence) is not { } perFrame) return;
        if (perFrame.Items.Count != n)
            throw CannotExtract($"its Per-frame Functional Groups Sequence has {perFrame.Items.Count} items for {n} frames");
        ds.Add(new DicomSequence(DicomTags.PerFrameFunctionalGroupsSequence, frames.Select(f => perFrame.Items[f])));
    }

    /// <summary>
    /// Frame times (PS3.4 Y.3.3, PS3.17 MM.2): Content Time stays, and Frame Delay (0018,1066) says when the first frame
    /// kept starts after it. A Frame Time Vector keeps the times between the frames kept; a Frame Time is multiplied
    /// by an even step, and becomes a Frame Time Vector (the Frame Increment Pointer with it) for uneven ones.
    /// </summary>
    private static void SelectFrameTimes(DicomDataset ds, IReadOnlyList<int> frames, int n)
    {
        if (FrameRange.FrameOffsetsMs(ds, n) is not { } offsets) return;
        if (frames[0] > 0)
            ds.AddOrUpdate(DicomTags.FrameDelay, VR.DS, DecimalString.Format((StoredNumbers.Double(ds, DicomTags.FrameDelay) ?? 0) + offsets[frames[0]]));
        var gaps = frames.Select((f, i) => i == 0 ? 0 : offsets[f] - offsets[frames[i - 1]]).ToArray();
        if (StoredNumbers.Doubles(ds, DicomTags.FrameTimeVector).Length == n)
        {
            ds.AddOrUpdate(DicomTags.FrameTimeVector, VR.DS, gaps.Select(DecimalString.Format).ToArray());
            return;
        }
        var steps = frames.Zip(frames.Skip(1), (a, b) => b - a).Distinct().ToList();
        if (steps.Count == 0) return;
        if (steps.Count == 1)
        {
            ds.AddOrUpdate(DicomTags.FrameTime, VR.DS, DecimalString.Format(StoredNumbers.Double(ds, DicomTags.FrameTime)!.Value * steps[0]));
            return;
        }
        ds.Remove(DicomTags.FrameTime);
        ds.AddOrUpdate(DicomTags.FrameTimeVector, VR.DS, gaps.Select(DecimalString.Format).ToArray());
        if (ds.Get(DicomTags.FrameIncrementPointer) is { } pointer)
        {
            var tags = DicomDataset.GetTags(pointer).Select(t => t == DicomTags.FrameTime ? DicomTags.FrameTimeVector : t).ToArray();
            ds.AddOrUpdate(DicomTags.FrameIncrementPointer, VR.AT, tags.SelectMany(t => new[] { t.Group, t.Element }).ToArray());
        }
    }

    /// <summary>
    /// The attributes the Frame Increment Pointer (0028,0009) names, one value per frame (the NM vectors, Slice
    /// Location Vector, ...): the values of the frames kept. An RT Dose Grid Frame Offset Vector relative to Image
    /// Position (Patient) (its first value 0, PS3.3 C.8.8.3.2) stays relative: the position moves to the first plane kept.
    /// </summary>
    private static void SelectIncrementVectors(DicomDataset ds, IReadOnlyList<int> frames, int n)
    {
        if (ds.Get(DicomTags.FrameIncrementPointer) is not { } pointer) return;
        foreach (var tag in DicomDataset.GetTags(pointer))
        {
            if (tag == DicomTags.FrameTime || tag == DicomTags.FrameTimeVector) continue; // SelectFrameTimes
            if (tag == DicomTags.GridFrameOffsetVector) SelectGridOffsets(ds, frames, n);
            else SelectValues(ds, tag, frames, n);
        }
    }

    private static void SelectValues(DicomDataset ds, DicomTag tag, IReadOnlyList<int> frames, int n)
    {
        if (ds.Get(tag) is not { } e || e is DicomSequence or DicomFragmentSequence) return;
        var vr = ds.ValueVR(e);
        if (vr.IsString)
        {
            var values = ds.GetStrings(e);
            if (values.Length == n) ds.AddOrUpdate(tag, vr, frames.Select(f => values[f]).ToArray());
            return;
        }
        var unit = vr.UnitSize;
        if (e.Buffer.Length != (long)n * unit) return;
        var bytes = e.Buffer.GetBytes().Span;
        var kept = new byte[frames.Count * unit];
        for (var i = 0; i < frames.Count; i++) bytes.Slice(frames[i] * unit, unit).CopyTo(kept.AsSpan(i * unit));
        ds.AddOrUpdate(tag, vr, kept);
    }

    private static void SelectGridOffsets(DicomDataset ds, IReadOnlyList<int> frames, int n)
    {
        var offsets = StoredNumbers.Doubles(ds, DicomTags.GridFrameOffsetVector);
        if (offsets.Length != n) return;
        var kept = frames.Select(f => offsets[f]).ToArray();
        if (offsets[0] == 0 && kept[0] != 0)
        {
            var position = StoredNumbers.Doubles(ds, DicomTags.ImagePositionPatient);
            var orientation = StoredNumbers.Doubles(ds, DicomTags.ImageOrientationPatient);
            if (position.Length != 3 || orientation.Length != 6)
                throw CannotExtract("its Grid Frame Offset Vector is relative to an Image Position (Patient) or Image Orientation (Patient) it lacks");
            // The offsets run along the normal of the image plane: row direction × column direction.
            var normal = new[]
            {
                orientation[1] * orientation[5] - orientation[2] * orientation[4],
                orientation[2] * orientation[3] - orientation[0] * orientation[5],
                orientation[0] * orientation[4] - orientation[1] * orientation[3],
            };
            var shift = kept[0];
            ds.AddOrUpdate(DicomTags.ImagePositionPatient, VR.DS, position.Select((p, i) => DecimalString.Format(p + normal[i] * shift)).ToArray());
            kept = kept.Select(k => k - shift).ToArray();
        }
        ds.AddOrUpdate(DicomTags.GridFrameOffsetVector, VR.DS, kept.Select(DecimalString.Format).ToArray());
    }

    /// <summary>
    /// Attributes that name frames by number (PS3.17 MM.3: numbers are indexes, renumbered from 1 in the new
    /// instance): Representative Frame Number, Start and Stop Trim, Frame Numbers of Interest with their descriptions
    /// and types. A frame not kept is no longer named. Mask subtraction is removed: its mask frames may not be kept.
    /// </summary>
    private static void RenumberFrameReferences(DicomDataset ds, IReadOnlyList<int> frames)
    {
        // Old frame number (1-based) → new one.
        var renumbered = new Dictionary<long, long>();
        for (var i = 0; i < frames.Count; i++) renumbered[frames[i] + 1] = i + 1;

        if (StoredNumbers.Int(ds, DicomTags.RepresentativeFrameNumber) is { } representative)
        {
            if (renumbered.TryGetValue(representative, out var now)) ds.AddOrUpdate(DicomTags.RepresentativeFrameNumber, VR.US, (ushort)now);
            else ds.Remove(DicomTags.RepresentativeFrameNumber);
        }

        var start = StoredNumbers.Int(ds, DicomTags.StartTrim);
        var stop = StoredNumbers.Int(ds, DicomTags.StopTrim);
        if (start != null || stop != null)
        {
            var inside = renumbered.Where(p => p.Key >= (start ?? 1) && p.Key <= (stop ?? long.MaxValue)).Select(p => p.Value).ToList();
            ds.Remove(DicomTags.StartTrim);
            ds.Remove(DicomTags.StopTrim);
            if (inside.Count > 0)
            {
                if (start != null) ds.AddOrUpdate(DicomTags.StartTrim, VR.IS, inside.Min().ToString(CultureInfo.InvariantCulture));
                if (stop != null) ds.AddOrUpdate(DicomTags.StopTrim, VR.IS, inside.Max().ToString(CultureInfo.InvariantCulture));
            }
        }

        var ofInterest = StoredNumbers.Ints(ds, DicomTags.FrameNumbersOfInterest);
        if (ofInterest.Length > 0)
        {
            var descriptions = ds.GetStrings(DicomTags.FrameOfInterestDescription);
            var types = ds.GetStrings(DicomTags.FrameOfInterestType);
            var keep = Enumerable.Range(0, ofInterest.Length).Where(i => renumbered.ContainsKey(ofInterest[i])).ToList();
            if (keep.Count == 0)
            {
                ds.Remove(DicomTags.FrameNumbersOfInterest);
                ds.Remove(DicomTags.FrameOfInterestDescription);
                ds.Remove(DicomTags.FrameOfInterestType);
            }
            else
            {
                ds.AddOrUpdate(DicomTags.FrameNumbersOfInterest, VR.US, keep.Select(i => (ushort)renumbered[ofInterest[i]]).ToArray());
                if (descriptions.Length == ofInterest.Length) ds.AddOrUpdate(DicomTags.FrameOfInterestDescription, VR.LO, keep.Select(i => descriptions[i]).ToArray());
                if (types.Length == ofInterest.Length) ds.AddOrUpdate(DicomTags.FrameOfInterestType, VR.CS, keep.Select(i => types[i]).ToArray());
            }
        }

        if (ds.Remove(DicomTags.MaskSubtractionSequence) && ds.GetString(DicomTags.RecommendedViewingMode)?.Trim() == "SUB")
            ds.Remove(DicomTags.RecommendedViewingMode);
    }

    /// <summary>
    /// What the new instance must not carry (PS3.4 Y.3.3): Concatenation attributes, a Pixel Data Provider URL; and
    /// (PS3.17 MM.7) private attributes, whose meaning for frames is unknown, and multi-frame overlays, which count frames.
    /// </summary>
    private static void RemoveWhatCannotFollow(DicomDataset ds)
    {
        foreach (var tag in new[]
                 {
                     DicomTags.ConcatenationUID, DicomTags.InConcatenationNumber, DicomTags.InConcatenationTotalNumber,
                     DicomTags.ConcatenationFrameOffsetNumber, DicomTags.SOPInstanceUIDOfConcatenationSource, DicomTags.PixelDataProviderURL,
                 })
            ds.Remove(tag);
        ds.RemoveAll(e => e.Tag.IsPrivate);
        var overlays = ds.Select(e => e.Tag).Where(t => (t.Group & 0xFF00) == 0x6000 && (t.Group & 1) == 0 && t.Element == 0x0015).Select(t => t.Group).ToHashSet();
        ds.RemoveAll(e => overlays.Contains(e.Tag.Group));
    }

    private static DicomDataset EquipmentItem(ExtractingEquipment equipment, FrameRange range, string sourceUid, DateTimeOffset now)
    {
        var purpose = new DicomDataset();
        purpose.AddOrUpdate(DicomTags.CodeValue, VR.SH, "109105");
        purpose.AddOrUpdate(DicomTags.CodingSchemeDesignator, VR.SH, "DCM");
        purpose.AddOrUpdate(DicomTags.CodeMeaning, VR.LO, "Frame Extracting Equipment");
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.Manufacturer, VR.LO, equipment.Manufacturer);
        if (equipment.StationName is { Length: > 0 } station) item.AddOrUpdate(DicomTags.StationName, VR.SH, station);
        if (equipment.SoftwareVersions is { Length: > 0 } software) item.AddOrUpdate(DicomTags.SoftwareVersions, VR.LO, software);
        var offset = now.Offset;
        var zone = (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString("hhmm", CultureInfo.InvariantCulture);
        item.AddOrUpdate(DicomTags.ContributionDateTime, VR.DT, now.ToString("yyyyMMddHHmmss.ffffff", CultureInfo.InvariantCulture) + zone);
        item.AddOrUpdate(DicomTags.ContributionDescription, VR.ST, $"{range} of {sourceUid} extracted for a frame-level retrieve (PS3.4 Annex Y)");
        item.AddOrUpdate(DicomTags.PurposeOfReferenceCodeSequence, purpose);
        return item;
    }

    /// <summary>Appends an item to a sequence, creating it when absent (the items of the source's come first).</summary>
    private static void Append(DicomDataset ds, DicomTag tag, DicomDataset item) =>
        ds.Add(new DicomSequence(tag, (ds.GetSequence(tag)?.Items ?? []).Append(item)));

    private static FrameExtractionException CannotExtract(string message) => new(FrameExtractionFailure.CannotExtract, message);
}
