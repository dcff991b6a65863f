using System.Buffers.Binary;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// Changes the transfer syntax of a file or data set. Native to native only relabels the data (the writer handles byte
/// order and VR, PS3.5 A.1-A.3); encapsulated pixel data is decoded and native pixel data encoded frame by frame with
/// the codecs of the registry (PS3.5 A.4, 8.2), so that only one frame of the source is loaded at a time.
/// </summary>
public sealed class DicomTranscoder(CodecRegistry registry)
{
    public DicomTranscoder() : this(CodecRegistry.Default) { }

    /// <summary>A transcoder over <see cref="CodecRegistry.Default"/>, shared: transcoders hold no state of their own.</summary>
    public static DicomTranscoder Default { get; } = new(CodecRegistry.Default);

    public CodecRegistry Registry { get; } = registry ?? throw new ArgumentNullException(nameof(registry));

    /// <summary>
    /// A new file holding <paramref name="file"/>'s data set in <paramref name="target"/>. Values not changed are shared
    /// with the source (they are immutable). Throws <see cref="NotSupportedException"/> when no codec is registered for
    /// a syntax that needs one, and <see cref="DicomCodecException"/> when the pixel data is corrupt.
    /// </summary>
    public DicomFile Transcode(DicomFile file, TransferSyntax target)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(target);
        if (file.StoppedEarly) throw new InvalidOperationException("The file was read only in part (StopBeforeTag): it cannot be transcoded.");
        var dataset = Transcode(file.Dataset, file.TransferSyntax, target);
        var meta = MetaFor(file, dataset, target);
        return new DicomFile(meta, dataset, target, file.Warnings) { HasPreamble = file.HasPreamble };
    }

    /// <summary>
    /// Writes the Part 10 file at <paramref name="sourcePath"/> as a new file at <paramref name="destinationPath"/> in
    /// <paramref name="target"/>, pixel data decoded or encoded with the registry's codecs where the change of syntax
    /// needs it; other large values are copied from the source file as they are written. Not flushed to disk: for
    /// copies made to be sent. On failure nothing is left at <paramref name="destinationPath"/>.
    /// </summary>
    public void TranscodeFile(string sourcePath, TransferSyntax target, string destinationPath)
    {
        ArgumentNullException.ThrowIfNull(target);
        var file = DicomFile.Open(sourcePath);
        // Decoded frames are produced as the writer reads them, encoded ones go to a spill file beside the destination
        // as they are made: one frame in memory, whatever the instance's size.
        var spill = destinationPath + ".frames.part";
        try
        {
            var dataset = file.TransferSyntax.IsEncapsulated || target.IsEncapsulated ? Transcode(file.Dataset, file.TransferSyntax, target, streamDecoded: true, nested: false, spill) : file.Dataset;
            var meta = MetaFor(file, dataset, target);
            var stream = new FileStream(destinationPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            try
            {
                using (stream) new DicomFile(meta, dataset, target, file.Warnings) { HasPreamble = file.HasPreamble }.Save(stream, target);
            }
            catch
            {
                // A frame that fails to decode mid-write leaves no half-written file behind.
                File.Delete(destinationPath);
                throw;
            }
        }
        finally
        {
            File.Delete(spill);
        }
    }

    /// <summary>The file meta information of the transcoded file: its syntax, and its data set's SOP Instance UID (a lossy encoding gives a new one).</summary>
    private static DicomDataset MetaFor(DicomFile file, DicomDataset dataset, TransferSyntax target)
    {
        var meta = file.Meta.Clone();
        meta.AddOrUpdate(DicomTags.TransferSyntaxUID, VR.UI, target.Uid);
        if (dataset.GetString(DicomTags.SOPInstanceUID)?.Trim('\0', ' ') is { Length: > 0 } uid && target.IsLossy && meta.Contains(DicomTags.MediaStorageSOPInstanceUID))
            meta.AddOrUpdate(DicomTags.MediaStorageSOPInstanceUID, VR.UI, uid);
        return meta;
    }

    /// <summary>A copy of <paramref name="dataset"/>, encoded as <paramref name="source"/>, with its pixel data as <paramref name="target"/> needs.</summary>
    public DicomDataset Transcode(DicomDataset dataset, TransferSyntax source, TransferSyntax target) => Transcode(dataset, source, target, streamDecoded: false, nested: false);

    /// <summary>
    /// As <see cref="Transcode(DicomDataset, TransferSyntax, TransferSyntax)"/>, but frames encoded for an encapsulated
    /// <paramref name="target"/> are written to <paramref name="spillPath"/> (a new file) as they are made, and the
    /// copy's fragments are read from there: one frame in memory, whatever the instance's size. The caller deletes
    /// that file once the copy has been written.
    /// </summary>
    public DicomDataset Transcode(DicomDataset dataset, TransferSyntax source, TransferSyntax target, string spillPath) =>
        Transcode(dataset, source, target, streamDecoded: false, nested: false, spillPath ?? throw new ArgumentNullException(nameof(spillPath)));

    /// <param name="streamDecoded">
    /// Decoded pixel data is decoded when read (<see cref="DecodedFramesBuffer"/>), for a caller that writes it at once:
    /// a corrupt frame then throws from the write. Otherwise every frame is decoded here, and a corrupt one throws here.
    /// </param>
    /// <param name="nested">An item's data set (an icon image), decoded for its parent's sake.</param>
    /// <param name="spillPath">Where encoded frames go as they are made (<see cref="Encapsulate"/>); null: in memory.</param>
    private DicomDataset Transcode(DicomDataset dataset, TransferSyntax source, TransferSyntax target, bool streamDecoded, bool nested, string? spillPath = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var copy = dataset.Clone();
        // Pixel data in items (an Icon Image Sequence's) is in the file's syntax too: a native syntax cannot hold it
        // encapsulated, so it is decoded as well, as dcmdjpeg does.
        if (!target.IsEncapsulated) DecodeNested(copy, source, target);
        var pixelData = copy.Get(DicomTags.PixelData);
        // The element says whether the pixel data is encapsulated, whatever the transfer syntax claims.
        var encapsulated = pixelData is DicomFragmentSequence;
        if (pixelData == null || (!encapsulated && !target.IsEncapsulated)) return copy;
        if (encapsulated && target.IsEncapsulated && source.Equals(target)) return copy;

        // JPEG XL JPEG Recompression into the JPEG syntax its JPEG streams are in: each rebuilt exactly, nothing decoded.
        if (encapsulated && !nested && JpegXl.JpegXlCodec.IsRecompression(source) && Rewrapped(copy, target, spillPath) is { } rebuilt) return rebuilt;

        var decoder = encapsulated ? Registry.Get(source) : null;
        var encoder = target.IsEncapsulated ? Registry.Get(target) : null;
        var info = PixelDataInfo.FromDataset(copy);
        if (decoder is JpegXl.JpegXlCodec && !JpegXl.JpegXlCodec.IsAvailable) throw new NotSupportedException(JpegXl.LibJxl.Missing + ".");
        if (decoder != null && !decoder.CanDecode(info))
            throw new NotSupportedException($"The {source.Name} codec cannot decode {Describe(info)}.");
        var nativeInfo = decoder?.GetDecodedInfo(info) ?? info;
        // A CT's signed or 16-bit samples a lossy JPEG cannot hold as they are, but can once mapped onto 12 bits.
        var rangeMap = encoder != null && target.IsLossy && !nested && !encoder.CanEncode(nativeInfo)
            ? ModalityRangeMap.For(copy, nativeInfo, decoder == null ? ReadNative(pixelData.Buffer, info) : DecodeOneByOne(EncapsulatedFrames.FromDataset(copy), decoder, info), encoder)
            : null;
        if (encoder != null && rangeMap == null && !encoder.CanEncode(nativeInfo))
            throw new NotSupportedException($"The {target.Name} codec cannot encode {Describe(nativeInfo)}.");

        if (decoder != null && encoder == null)
        {
            copy.Add(Decode((DicomFragmentSequence)pixelData, copy, decoder, info, streamDecoded));
            RemoveOffsetTables(copy);
            SetAttributes(copy, info, nativeInfo);
            // Decoded, the data no longer says it went through lossy compression: the attribute must (PS3.3
            // C.7.6.1.1.5), as dcmtk's dcmdjpeg sets it.
            if (source.IsLossy && !nested) copy.AddOrUpdate(DicomTags.LossyImageCompression, "01");
            return copy;
        }

        IEnumerable<ReadOnlyMemory<byte>> frames = decoder == null
            ? ReadNative(pixelData.Buffer, info)
            : DecodeOneByOne(EncapsulatedFrames.FromDataset(copy), decoder, info);
        var codingInfo = rangeMap?.Mapped ?? nativeInfo;
        var encodedInfo = encoder!.GetEncodedInfo(codingInfo);
        RemoveOffsetTables(copy);
        copy.Add(Encapsulate(frames.Select(f => encoder.EncodeFrame(rangeMap != null ? rangeMap.Map(f.Span) : f.Span, codingInfo)), copy, nested ? null : spillPath));
        SetAttributes(copy, info, encodedInfo);
        rangeMap?.Apply(copy);
        // PS3.3 C.7.6.1.1.5: a lossy encoding makes a new, derived image; once lossy, always lossy.
        if (target.IsLossy && !nested)
        {
            var encodedBytes = copy.Get(DicomTags.PixelData) is DicomFragmentSequence encoded ? encoded.Fragments.Sum(f => f.Length) : 0;
            LossyDerivation.Apply(copy, target, (encoder as Jpeg.JpegCodec)?.Quality ?? 0, nativeInfo.TotalSize, encodedBytes, source.IsLossy);
        }
        if (target.IsLossy || (source.IsLossy && !nested)) copy.AddOrUpdate(DicomTags.LossyImageCompression, "01");
        return copy;
    }

    /// <summary>
    /// <paramref name="copy"/> (JPEG XL JPEG Recompression) with each frame's JPEG rebuilt, when <paramref name="target"/>
    /// holds the first one (else null: decoded and encoded as any other). The attributes are the JPEG's already
    /// (PS3.5 8.2.16: the photometric interpretation of the recompressed JPEG), and it stays marked lossy.
    /// </summary>
    private static DicomDataset? Rewrapped(DicomDataset copy, TransferSyntax target, string? spillPath)
    {
        if (!JpegXl.JpegXlCodec.IsAvailable) return null;
        var frames = EncapsulatedFrames.FromDataset(copy);
        CheckFrameCount(frames, PixelDataInfo.FromDataset(copy));
        if (frames.Count == 0 || JpegXl.JpegXlCodec.RebuiltJpeg(frames.GetFrame(0).Span, target) is null) return null;
        IEnumerable<byte[]> Rebuilt()
        {
            for (var f = 0; f < frames.Count; f++)
                yield return JpegXl.JpegXlCodec.RebuiltJpeg(frames.GetFrame(f).Span, target)
                    ?? throw new DicomCodecException($"Frame {f + 1}'s JPEG stream is not one {target.Name} holds (frame 1's is).");
        }
        var rebuilt = Encapsulate(Rebuilt(), copy, spillPath);
        RemoveOffsetTables(copy);
        copy.Add(rebuilt);
        copy.AddOrUpdate(DicomTags.LossyImageCompression, "01");
        return copy;
    }

    private void DecodeNested(DicomDataset dataset, TransferSyntax source, TransferSyntax target)
    {
        foreach (var sq in dataset.OfType<DicomSequence>().ToList())
        {
            var changed = false;
            var items = new List<DicomDataset>(sq.Items.Count);
            foreach (var item in sq.Items)
            {
                if (item.Get(DicomTags.PixelData) is DicomFragmentSequence)
                {
                    items.Add(Transcode(item, source, target, streamDecoded: false, nested: true));
                    changed = true;
                }
                else
                {
                    DecodeNested(item, source, target);
                    items.Add(item);
                }
            }
            if (changed) dataset.Add(new DicomSequence(sq.Tag, items));
        }
    }

    private static string Describe(PixelDataInfo i) =>
        $"{i.Rows}x{i.Columns} pixel data with {i.SamplesPerPixel} sample(s) of {i.BitsAllocated} bits allocated ({i.PhotometricInterpretation})";

    /// <summary>
    /// The new native value: decoded when read (<paramref name="streamDecoded"/>), else every frame decoded now straight
    /// into it, the only full-size copy made.
    /// </summary>
    private static DicomElement Decode(DicomFragmentSequence pixelData, DicomDataset dataset, IPixelCodec decoder, PixelDataInfo info, bool streamDecoded)
    {
        var frames = EncapsulatedFrames.FromDataset(dataset);
        CheckFrameCount(frames, info);
        var decoded = decoder.GetDecodedInfo(info);
        // Native pixel data is OW above 8 bits allocated, else OB (PS3.5 8.1.2, A.1 c).
        var vr = decoded.BitsAllocated > 8 ? VR.OW : VR.OB;
        // Bit-packed 1-bit frames are small, and are joined bit by bit here rather than streamed frame by frame.
        if (streamDecoded && !decoded.FramesAreBitPacked) return new DicomElement(pixelData.Tag, vr, new DecodedFramesBuffer(frames, decoder, info, decoded.FrameSize));
        var total = decoded.TotalSize;
        if (total > Array.MaxLength)
            throw new DicomCodecException($"Decoded pixel data of {total} bytes is larger than an array holds; spooling it to disk is not supported yet.");
        var native = new byte[total];
        var frameSize = (int)decoded.FrameSize;
        var packed = decoded.FramesAreBitPacked ? new byte[frameSize] : null;
        for (var f = 0; f < frames.Count; f++)
        {
            if (packed == null)
            {
                DecodeFrame(decoder, frames, f, info, native.AsSpan(f * frameSize, frameSize));
                continue;
            }
            DecodeFrame(decoder, frames, f, info, packed);
            CopyBits(packed, 0, native, f * decoded.FrameBits, decoded.FrameBits);
        }
        return new DicomElement(pixelData.Tag, vr, new MemoryBuffer(native));
    }

    private static IEnumerable<ReadOnlyMemory<byte>> DecodeOneByOne(EncapsulatedFrames frames, IPixelCodec decoder, PixelDataInfo info)
    {
        CheckFrameCount(frames, info);
        var buffer = new byte[decoder.GetDecodedInfo(info).FrameSize];
        for (var f = 0; f < frames.Count; f++)
        {
            DecodeFrame(decoder, frames, f, info, buffer);
            yield return buffer;
        }
    }

    private static void DecodeFrame(IPixelCodec decoder, EncapsulatedFrames frames, int frame, PixelDataInfo info, Span<byte> destination)
    {
        try
        {
            decoder.DecodeFrame(frames.GetFrame(frame).Span, info, destination);
        }
        catch (DicomCodecException e)
        {
            throw new DicomCodecException($"Frame {frame + 1} of {frames.Count}: {e.Message}", e);
        }
    }

    private static void CheckFrameCount(EncapsulatedFrames frames, PixelDataInfo info)
    {
        if (frames.Count != info.NumberOfFrames)
            throw new DicomCodecException($"Number of Frames is {info.NumberOfFrames} but the encapsulated pixel data splits into {frames.Count} frames ({frames.Mapping}).");
    }

    private static IEnumerable<ReadOnlyMemory<byte>> ReadNative(DicomBuffer buffer, PixelDataInfo info)
    {
        if (info.FramesAreBitPacked)
        {
            // 1-bit frames that start inside a byte: each taken out bit by bit onto a byte boundary (small data).
            if (buffer.Length < info.TotalSize)
                throw new DicomCodecException($"Native Pixel Data has {buffer.Length} bytes; {info.NumberOfFrames} frame(s) of {info.Rows}x{info.Columns} 1-bit samples need {info.TotalSize} (PS3.5 8.1.1).");
            var all = buffer.GetBytes().ToArray();
            for (var f = 0; f < info.NumberOfFrames; f++)
            {
                var frame = new byte[info.FrameSize];
                CopyBits(all, f * info.FrameBits, frame, 0, info.FrameBits);
                yield return frame;
            }
            yield break;
        }
        using var reader = new NativeFrameReader(buffer, info);
        for (var f = 0; f < info.NumberOfFrames; f++) yield return reader.Next();
    }

    /// <summary>Copies <paramref name="count"/> bits, least significant first in each byte (PS3.5 8.1.1: 1-bit pixels from bit 0).</summary>
    private static void CopyBits(byte[] source, long sourceBit, byte[] destination, long destinationBit, long count)
    {
        for (long i = 0; i < count; i++)
        {
            long s = sourceBit + i, d = destinationBit + i;
            if ((source[s >> 3] >> (int)(s & 7) & 1) != 0) destination[d >> 3] |= (byte)(1 << (int)(d & 7));
            else destination[d >> 3] &= (byte)~(1 << (int)(d & 7));
        }
    }

    /// <summary>
    /// One fragment per frame with a Basic Offset Table (PS3.5 A.4); when offsets pass 4 GiB the Basic Offset Table is
    /// left empty and the Extended Offset Table (PS3.3 C.7.6.3.1.8) is written instead. With <paramref name="spillPath"/>,
    /// each frame is written there as it comes and its fragment read from that file.
    /// </summary>
    private static DicomFragmentSequence Encapsulate(IEnumerable<byte[]> encodedFrames, DicomDataset dataset, string? spillPath)
    {
        var fragments = new List<DicomBuffer>();
        var offsets = new List<ulong>();
        var lengths = new List<ulong>();
        ulong position = 0;
        using (var spill = spillPath != null ? new FileStream(spillPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16) : null)
        {
            foreach (var frame in encodedFrames)
            {
                var odd = (frame.Length & 1) != 0; // items have even length (PS3.5 A.4)
                offsets.Add(position);
                lengths.Add((ulong)frame.Length);
                if (spill != null)
                {
                    var at = spill.Position;
                    spill.Write(frame);
                    if (odd) spill.WriteByte(0);
                    fragments.Add(new FileBuffer(spillPath!, at, spill.Position - at));
                }
                else fragments.Add(new MemoryBuffer(odd ? [.. frame, 0] : frame));
                position += 8 + (ulong)(frame.Length + (odd ? 1 : 0));
            }
        }
        DicomBuffer bot;
        if (offsets[^1] <= uint.MaxValue)
        {
            var table = new byte[offsets.Count * 4];
            for (var i = 0; i < offsets.Count; i++) BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(i * 4), (uint)offsets[i]);
            bot = new MemoryBuffer(table);
        }
        else
        {
            bot = DicomBuffer.Empty;
            dataset.AddOrUpdate(DicomTags.ExtendedOffsetTable, VR.OV, offsets.ToArray());
            dataset.AddOrUpdate(DicomTags.ExtendedOffsetTableLengths, VR.OV, lengths.ToArray());
        }
        return new DicomFragmentSequence(DicomTags.PixelData, VR.OB, bot, fragments);
    }

    /// <summary>
    /// Whether an image a lossy JPEG cannot hold as it is may still be coded by <see cref="Transcode"/>, its samples
    /// moved onto 12 bits and its Modality LUT the other way (<see cref="ModalityRangeMap"/>): a monochrome image of 16
    /// bits allocated with a Rescale Intercept. Whether its samples span few enough values is known only once read.
    /// </summary>
    public static bool MayMapModalityRange(DicomDataset dataset, PixelDataInfo info) =>
        ModalityRangeMap.Applies(dataset ?? throw new ArgumentNullException(nameof(dataset)), info ?? throw new ArgumentNullException(nameof(info)));

    private static void RemoveOffsetTables(DicomDataset dataset)
    {
        dataset.Remove(DicomTags.ExtendedOffsetTable);
        dataset.Remove(DicomTags.ExtendedOffsetTableLengths);
    }

    /// <summary>Photometric Interpretation, Planar Configuration and (for a lossy coding's precision) Bits Stored and High Bit as the codec left them; the rest of the Image Pixel module does not change.</summary>
    private static void SetAttributes(DicomDataset dataset, PixelDataInfo before, PixelDataInfo after)
    {
        if (after.BitsStored != before.BitsStored)
        {
            dataset.AddOrUpdate(DicomTags.BitsStored, VR.US, (ushort)after.BitsStored);
            dataset.AddOrUpdate(DicomTags.HighBit, VR.US, (ushort)after.HighBit);
        }
        if (after.PhotometricInterpretation != before.PhotometricInterpretation)
            dataset.AddOrUpdate(DicomTags.PhotometricInterpretation, VR.CS, after.PhotometricInterpretation);
        if (after.SamplesPerPixel > 1 && (after.PlanarConfiguration != before.PlanarConfiguration || !dataset.Contains(DicomTags.PlanarConfiguration)))
            dataset.AddOrUpdate(DicomTags.PlanarConfiguration, VR.US, (ushort)after.PlanarConfiguration);
    }
}
