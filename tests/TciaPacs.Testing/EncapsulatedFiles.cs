using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Testing;

/// <summary>Part 10 files with encapsulated pixel data made of given fragments (no offset table), for parser and codec tests.</summary>
public static class EncapsulatedFiles
{
    /// <summary>Writes a JPEG Baseline multi-frame instance with <paramref name="fragments"/> to a new temporary file; the caller deletes it.</summary>
    public static string WriteTemporary(IEnumerable<DicomBuffer> fragments)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SOPClassUID, "1.2.840.10008.5.1.4.1.1.3.1");
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, "2.25." + BitConverter.ToUInt64(Guid.NewGuid().ToByteArray()));
        ds.Add(new DicomFragmentSequence(DicomTags.PixelData, VR.OB, DicomBuffer.Empty, fragments));
        var path = Path.Combine(Path.GetTempPath(), $"tciapacs-fragments-{Guid.NewGuid():N}.dcm");
        new DicomFile(new DicomDataset(), ds, TransferSyntax.Lookup("1.2.840.10008.1.2.4.50")).Save(path);
        return path;
    }
}
