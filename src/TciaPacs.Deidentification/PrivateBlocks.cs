using TciaPacs.Dicom;

namespace TciaPacs.Deidentification;

internal static class PrivateBlocks
{
    /// <summary>Private creators whose block is now empty go, and so does a private element outside any reserved block (PS3.5 7.8.1).</summary>
    public static void RemoveEmpty(DicomDataset ds, Action<DicomTag> removed)
    {
        List<DicomTag>? drop = null;
        foreach (var e in ds)
        {
            if (!e.Tag.IsPrivate) continue;
            if (e.Tag.IsPrivateCreator)
            {
                var block = e.Tag.Element << 8;
                var used = ds.Any(x => x.Tag.Group == e.Tag.Group && x.Tag.Element >= block && x.Tag.Element <= block + 0xFF && x.Tag.Element >= 0x1000);
                if (!used) (drop ??= []).Add(e.Tag);
            }
            else if (e.Tag.Element < 0x1000) (drop ??= []).Add(e.Tag);
        }
        if (drop == null) return;
        foreach (var t in drop)
        {
            ds.Remove(t);
            removed(t);
        }
    }
}
