namespace TciaPacs.Dicom.Codecs.FrameExtraction;

/// <summary>
/// Numbers of a stored instance's attributes for frame extraction: one whose text is no number (a damaged DS or IS
/// value) counts as absent, as a viewer would ignore it, rather than failing the retrieve.
/// </summary>
internal static class StoredNumbers
{
    public static double[] Doubles(DicomDataset ds, DicomTag tag)
    {
        try { return ds.GetDoubles(tag); }
        catch (Exception ex) when (ex is FormatException or OverflowException) { return []; }
    }

    public static double? Double(DicomDataset ds, DicomTag tag) => Doubles(ds, tag) is { Length: > 0 } v ? v[0] : null;

    public static long[] Ints(DicomDataset ds, DicomTag tag)
    {
        try { return ds.GetInts(tag); }
        catch (Exception ex) when (ex is FormatException or OverflowException) { return []; }
    }

    public static long? Int(DicomDataset ds, DicomTag tag) => Ints(ds, tag) is { Length: > 0 } v ? v[0] : null;
}
