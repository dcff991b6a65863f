namespace TciaPacs.Dicom;

/// <summary>
/// The bulk data a Composite Instance Retrieve Without Bulk Data leaves out (PS3.4 Z.1.3, Table Z.1-1): the pixel data
/// of every kind, spectroscopy, overlay, curve and audio data and encapsulated documents at the top level of the data
/// set, and the Waveform Data of each Waveform Sequence item. Everything else stays as it was, UIDs included
/// (Z.4.2.3.1); an icon image keeps its pixels, since it is not at the top level.
/// </summary>
public static class BulkData
{
    /// <summary>Whether a top-level attribute is one Table Z.1-1 leaves out.</summary>
    public static bool IsLeftOutAtTopLevel(DicomTag tag)
    {
        if (tag == DicomTags.PixelData || tag == DicomTags.FloatPixelData || tag == DicomTags.DoubleFloatPixelData
            || tag == DicomTags.PixelDataProviderURL || tag == DicomTags.SpectroscopyData || tag == DicomTags.EncapsulatedDocument)
            return true;
        // Repeating groups (PS3.5 7.6): Overlay Data (60xx,3000); Curve Data (50xx,3000) and Audio Sample Data (50xx,200C), retired.
        var repeating = tag.Group & 0xFF00;
        return (tag.Group & 1) == 0
               && ((repeating == 0x6000 && tag.Element == 0x3000) || (repeating == 0x5000 && tag.Element is 0x3000 or 0x200C));
    }

    /// <summary>Removes from <paramref name="dataset"/> what Table Z.1-1 leaves out; the number of values removed.</summary>
    public static int Remove(DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var removed = 0;
        foreach (var tag in dataset.Select(e => e.Tag).Where(IsLeftOutAtTopLevel).ToList())
        {
            dataset.Remove(tag);
            removed++;
        }
        if (dataset.GetSequence(DicomTags.WaveformSequence) is { } waveforms)
            foreach (var item in waveforms.Items)
                if (item.Remove(DicomTags.WaveformData)) removed++;
        return removed;
    }
}
