using System.Globalization;

namespace TciaPacs.Dicom.Codecs;

/// <summary>
/// The Image Pixel module attributes a codec needs (PS3.3 C.7.6.3) and the size of one native frame (PS3.5 8.1.1):
/// samples are little endian, each taking <see cref="BitsAllocated"/> bits, interleaved per pixel when
/// <see cref="PlanarConfiguration"/> is 0 and one plane per sample when it is 1.
/// </summary>
public sealed record PixelDataInfo
{
    public required int Rows { get; init; }
    public required int Columns { get; init; }
    public int SamplesPerPixel { get; init; } = 1;
    public required int BitsAllocated { get; init; }
    public int BitsStored { get; init; }
    public int HighBit { get; init; }

    /// <summary>0 unsigned, 1 two's complement (0028,0103), PS3.3 C.7.6.3.</summary>
    public int PixelRepresentation { get; init; }

    /// <summary>0 colour-by-pixel, 1 colour-by-plane (PS3.3 C.7.6.3.1.3); meaningful only with more than one sample.</summary>
    public int PlanarConfiguration { get; init; }

    public string PhotometricInterpretation { get; init; } = "MONOCHROME2";
    public int NumberOfFrames { get; init; } = 1;

    /// <summary>Bytes per sample, for the byte-aligned sizes codecs handle (8, 16, 32 bits allocated: 1, 2, 4).</summary>
    public int BytesAllocated => (BitsAllocated + 7) / 8;

    public long PixelsPerFrame => (long)Rows * Columns;

    /// <summary>Bytes of one native frame; for 1-bit data the bits of the frame rounded up to whole bytes (PS3.5 8.1.1).</summary>
    public long FrameSize => (PixelsPerFrame * SamplesPerPixel * BitsAllocated + 7) / 8;

    /// <summary>
    /// Bytes of all native frames; odd totals are padded to even length by the writer. 1-bit frames follow each other
    /// bit by bit (PS3.5 8.1.1), so the total is not always frames x <see cref="FrameSize"/>.
    /// </summary>
    public long TotalSize => (PixelsPerFrame * SamplesPerPixel * BitsAllocated * NumberOfFrames + 7) / 8;

    /// <summary>Bits of one native frame.</summary>
    public long FrameBits => PixelsPerFrame * SamplesPerPixel * BitsAllocated;

    /// <summary>
    /// Bytes of one native frame as stored: <see cref="FrameSize"/>, except YBR_FULL_422, whose chrominance is sampled
    /// once per two pixels (PS3.3 C.7.6.3.1.2: Y Y Cb Cr per pair), so two samples per pixel.
    /// </summary>
    public long NativeFrameSize =>
        PhotometricInterpretation.Trim() == "YBR_FULL_422" && SamplesPerPixel == 3 ? PixelsPerFrame * 2 * BytesAllocated : FrameSize;

    /// <summary>Native frames after the first start inside a byte (1-bit data whose frame bits are no multiple of 8): read and written bit by bit.</summary>
    public bool FramesAreBitPacked => NumberOfFrames > 1 && FrameBits % 8 != 0;

    /// <summary>Reads the Image Pixel module of <paramref name="dataset"/>; Rows, Columns and Bits Allocated are required.</summary>
    public static PixelDataInfo FromDataset(DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        int Required(DicomTag tag, string name) =>
            (int)(ReadInt(dataset, tag) ?? throw new DicomCodecException($"The data set has no {name} {tag}: cannot describe its pixel data."));
        var bitsAllocated = Required(DicomTags.BitsAllocated, "Bits Allocated");
        var bitsStored = (int)(ReadInt(dataset, DicomTags.BitsStored) ?? bitsAllocated);
        return new PixelDataInfo
        {
            Rows = Required(DicomTags.Rows, "Rows"),
            Columns = Required(DicomTags.Columns, "Columns"),
            SamplesPerPixel = (int)(ReadInt(dataset, DicomTags.SamplesPerPixel) ?? 1),
            BitsAllocated = bitsAllocated,
            BitsStored = bitsStored,
            HighBit = (int)(ReadInt(dataset, DicomTags.HighBit) ?? bitsStored - 1),
            PixelRepresentation = (int)(ReadInt(dataset, DicomTags.PixelRepresentation) ?? 0),
            PlanarConfiguration = (int)(ReadInt(dataset, DicomTags.PlanarConfiguration) ?? 0),
            PhotometricInterpretation = dataset.GetString(DicomTags.PhotometricInterpretation) is { Length: > 0 } pi ? pi : "MONOCHROME2",
            NumberOfFrames = ReadNumberOfFrames(dataset),
        };
    }

    /// <summary>Number of Frames (0028,0008): IS and optional, absent meaning one frame (PS3.3 C.7.6.6); garbage or 0 count as one, as in dcmtk.</summary>
    public static int ReadNumberOfFrames(DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var frames = ReadInt(dataset, DicomTags.NumberOfFrames) ?? 1;
        return frames >= 1 && frames <= int.MaxValue ? (int)frames : 1;
    }

    /// <summary>First value of a US or IS element, or null when absent, empty or not a number (e.g. IS "1A").</summary>
    private static long? ReadInt(DicomDataset dataset, DicomTag tag)
    {
        var e = dataset.Get(tag);
        if (e == null || e.Buffer.Length == 0 || e is DicomSequence or DicomFragmentSequence) return null;
        // A value stored as UN (PS3.5 6.2.2) is read with the dictionary's VR.
        var vr = e.VR == VR.UN ? dataset.ResolveVR(tag) : e.VR;
        if (vr == VR.US && e.Buffer.Length >= 2) return System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(e.Buffer.GetBytes().Span);
        if (!vr.IsString) return dataset.GetInts(e) is { Length: > 0 } v ? v[0] : null;
        var text = System.Text.Encoding.ASCII.GetString(e.Buffer.GetBytes().Span).Split('\\')[0].Trim(' ', '\0');
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
    }
}
