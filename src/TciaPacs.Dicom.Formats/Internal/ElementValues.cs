namespace TciaPacs.Dicom.Formats.Internal;

/// <summary>What the writers need to know about an element's value, read through its data set (which knows the character set).</summary>
internal static class ElementValues
{
    /// <summary>OB, OD, OF, OL, OV, OW and UN travel as base64 or bulk data (PS3.18 Table F.2.3-1, PS3.19 A.1.5).</summary>
    public static bool IsBulkVR(VR vr) =>
        vr == VR.OB || vr == VR.OD || vr == VR.OF || vr == VR.OL || vr == VR.OV || vr == VR.OW || vr == VR.UN;

    /// <summary>The VR to write: unknown codes (which a reader may keep) are written as UN.</summary>
    public static VR WrittenVR(DicomElement e) => e.VR.IsKnown ? e.VR : VR.UN;

    /// <summary>
    /// The string values with padding removed (PS3.5 6.2), empty ones as "" (written as null in JSON, PS3.18 F.2.5).
    /// A value that is only padding counts as no value at all.
    /// </summary>
    public static string[] Strings(DicomDataset ds, DicomElement e)
    {
        var values = ds.GetStrings(e);
        return values is [""] ? [] : values;
    }

    /// <summary>Bytes of the value for InlineBinary; encapsulated pixel data as its whole Value Field (PS3.18 F.2.7).</summary>
    public static ReadOnlyMemory<byte> Bytes(DicomElement e) =>
        e is DicomFragmentSequence f ? EncapsulatedValue.ToBytes(f) : e.Buffer.GetBytes();

    public static long BinaryLength(DicomElement e) => e is DicomFragmentSequence f ? EncapsulatedValue.LengthOf(f) : e.Buffer.Length;

    /// <summary>No value: written with "vr" only (PS3.18 F.2.5) or dropped when empty values are not wanted.</summary>
    public static bool IsEmpty(DicomDataset ds, DicomElement e) => e switch
    {
        DicomSequence sq => sq.Items.Count == 0,
        DicomFragmentSequence => false,
        _ when e.Buffer is BulkDataUriBuffer => false,
        _ when e.Buffer.Length == 0 => true,
        _ when e.VR.IsString => Strings(ds, e).Length == 0,
        _ => false,
    };
}
