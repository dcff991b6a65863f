using NUnit.Framework;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Tests;

/// <summary>What of a C-FIND identifier becomes a key of the query (PS3.4 C.4.1.1.3).</summary>
public sealed class IdentifierTests
{
    [Test]
    public void Command_and_file_meta_elements_are_not_keys()
    {
        // Orthanc 1.10's IMAGE level identifier, as dcmqrscp logged it: (0002,0003) beside the UIDs.
        var identifier = new DicomDataset();
        identifier.AddOrUpdate(DicomTags.MediaStorageSOPInstanceUID, VR.UI, "1.2.3.4");
        identifier.AddOrUpdate(new DicomTag(0x0000, 0x1000), VR.UI, "1.2.3.4");
        identifier.AddOrUpdate(DicomTags.SpecificCharacterSet, VR.CS, "ISO_IR 100");
        identifier.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, "1.2.3.4");
        identifier.AddOrUpdate(DicomTags.QueryRetrieveLevel, VR.CS, "IMAGE");
        identifier.AddOrUpdate(DicomTags.PatientID, VR.LO, "");
        var query = DicomQuery.FromIdentifier(identifier);
        Assert.That(query.Level, Is.EqualTo(QueryLevel.Image));
        Assert.That(query.Keys.Select(k => k.Tag), Is.EqualTo(new[] { DicomTags.SOPInstanceUID, DicomTags.PatientID }));
        Assert.That(query.MatchingKeys.Select(k => (k.Tag, k.Value)), Is.EqualTo(new[] { (DicomTags.SOPInstanceUID, "1.2.3.4") }));
    }
}
