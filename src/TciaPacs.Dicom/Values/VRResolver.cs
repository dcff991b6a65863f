namespace TciaPacs.Dicom.Values;

/// <summary>Chooses one VR for dictionary entries with several (PS3.5 A.1 c and PS3.6 notes), as pydicom and dcmtk do.</summary>
internal static class VRResolver
{
    public static VR Resolve(DicomTag tag, DictionaryEntry entry, DicomDataset context)
    {
        var vrs = entry.ValueRepresentations;
        if (vrs.Count == 1) return vrs[0];
        if (vrs.Contains(VR.SS) && vrs.Contains(VR.US))
        {
            // US or SS follows Pixel Representation; where that is not in scope (e.g. LUT descriptors), US.
            var pr = FindUp(context, DicomTags.PixelRepresentation);
            if (tag == DicomTags.LUTDescriptor || tag.Group == 0x0028 && tag.Element is 0x1101 or 0x1102 or 0x1103) return VR.US;
            return pr == 1 ? VR.SS : VR.US;
        }
        if (vrs.Contains(VR.OB) && vrs.Contains(VR.OW))
        {
            // In implicit VR LE, pixel data is OW (PS3.5 A.1); for other OB-or-OW elements, OB when 8 bits are allocated.
            if (tag == DicomTags.PixelData) return VR.OW;
            var ba = FindUp(context, DicomTags.BitsAllocated);
            return ba is > 0 and <= 8 ? VR.OB : VR.OW;
        }
        if (vrs.Contains(VR.US) && vrs.Contains(VR.OW)) return VR.US;
        return vrs[0];
    }

    private static long? FindUp(DicomDataset ds, DicomTag tag)
    {
        for (var d = ds; d != null; d = d.Parent)
        {
            var e = d.Get(tag);
            if (e is { Buffer.Length: >= 2 } && (e.VR == VR.US || e.VR == VR.SS || e.VR == VR.UN))
                return BitConverter.ToUInt16(e.Buffer.GetBytes().Span[..2]);
        }
        return null;
    }
}
