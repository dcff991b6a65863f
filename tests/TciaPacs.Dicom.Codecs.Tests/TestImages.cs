using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>Builds small native images in memory (a Secondary Capture data set around given pixel bytes).</summary>
internal static class TestImages
{
    public static DicomFile NativeFile(PixelDataInfo info, byte[] pixels, TransferSyntax? syntax = null)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, "1.2.840.10008.5.1.4.1.1.7");
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, "1.2.826.0.1.3680043.10.1234.1");
        ds.AddOrUpdate(DicomTags.SamplesPerPixel, VR.US, (ushort)info.SamplesPerPixel);
        ds.AddOrUpdate(DicomTags.PhotometricInterpretation, VR.CS, info.PhotometricInterpretation);
        if (info.SamplesPerPixel > 1) ds.AddOrUpdate(DicomTags.PlanarConfiguration, VR.US, (ushort)info.PlanarConfiguration);
        if (info.NumberOfFrames > 1) ds.AddOrUpdate(DicomTags.NumberOfFrames, VR.IS, info.NumberOfFrames.ToString(System.Globalization.CultureInfo.InvariantCulture));
        ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)info.Rows);
        ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)info.Columns);
        ds.AddOrUpdate(DicomTags.BitsAllocated, VR.US, (ushort)info.BitsAllocated);
        ds.AddOrUpdate(DicomTags.BitsStored, VR.US, (ushort)info.BitsStored);
        ds.AddOrUpdate(DicomTags.HighBit, VR.US, (ushort)info.HighBit);
        ds.AddOrUpdate(DicomTags.PixelRepresentation, VR.US, (ushort)info.PixelRepresentation);
        ds.Add(new DicomElement(DicomTags.PixelData, info.BitsAllocated > 8 ? VR.OW : VR.OB, new MemoryBuffer(pixels)));
        var ts = syntax ?? TransferSyntax.ExplicitVRLittleEndian;
        return new DicomFile(DicomWriter.BuildMeta(null, ds, ts), ds, ts);
    }

    /// <summary>An image of <paramref name="bits"/> stored bits in the smallest Bits Allocated (8 or 16) that holds them.</summary>
    public static PixelDataInfo Stored(int rows, int columns, int bits, int samples = 1, bool signed = false) =>
        Info(rows, columns, bits > 8 ? 16 : 8, samples) with { BitsStored = bits, HighBit = bits - 1, PixelRepresentation = signed ? 1 : 0 };

    /// <summary>
    /// Sample (x, y) of component c of the codec tests' test pattern: flat areas, ramps, noise in the lower half and a
    /// sharp checkerboard in the top right, within 0..<paramref name="max"/>.
    /// </summary>
    public static int Pattern(int x, int y, int c, int rows, int max, Random random)
    {
        var flat = (x / 16 + y / 8) % 3 == 0;
        var v = flat ? max / 3 * (c + 1) % (max + 1) : (x * 37 + y * 11 + c * 500 + (y > rows / 2 ? random.Next(max / 8 + 1) : 0)) & max;
        return x > 70 && y < 20 ? (x + y) % 2 == 0 ? max : 0 : v;
    }

    public static PixelDataInfo Info(int rows, int columns, int bitsAllocated, int samples = 1, int frames = 1, int planar = 0) => new()
    {
        Rows = rows,
        Columns = columns,
        BitsAllocated = bitsAllocated,
        BitsStored = bitsAllocated,
        HighBit = bitsAllocated - 1,
        SamplesPerPixel = samples,
        PlanarConfiguration = samples > 1 ? planar : 0,
        PhotometricInterpretation = samples == 3 ? "RGB" : "MONOCHROME2",
        NumberOfFrames = frames,
    };

    /// <summary>Writes and reads back, as a file on the way to another program would be.</summary>
    public static DicomFile SaveAndReopen(DicomFile file)
    {
        var ms = new MemoryStream();
        file.Save(ms);
        ms.Position = 0;
        return DicomFile.Read(ms);
    }

    /// <summary>The native pixel bytes of a file, cut to the size its attributes give (drops the writer's pad byte).</summary>
    public static byte[] NativePixels(DicomFile file)
    {
        var e = file.Dataset.Get(DicomTags.PixelData) ?? throw new InvalidOperationException("no Pixel Data");
        var size = PixelDataInfo.FromDataset(file.Dataset).TotalSize;
        var bytes = e.Buffer.GetBytes();
        return bytes[..(int)Math.Min(size, bytes.Length)].ToArray();
    }
}
