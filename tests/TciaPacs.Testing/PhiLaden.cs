using System.Globalization;
using TciaPacs.Dicom;

namespace TciaPacs.Testing;

/// <summary>
/// Generates PHI-laden instances: known identifiers planted in every risky place (issue 6), so that tests can search
/// the output byte by byte for each of them.
/// </summary>
public static class PhiLaden
{
    public const string FamilyName = "Bartholomew";
    public const string GivenName = "Quincy";
    public const string PatientName = FamilyName + "^" + GivenName;
    public const string BirthDate = "19610314";
    public const string AccessionNumber = "ACC99812";
    public const string PhysicianFamily = "Smithers";
    public const string OperatorFamily = "Grimsby";
    public const string InstitutionAddress = "12 Evergreen Terrace, Springfield";
    public const string StudyUidRoot = "1.2.826.0.1.3680043.10.544.77";

    public static string PatientId(int patient) => $"MRN77543{patient:00}";

    /// <summary>Every planted value that de-identification must leave nowhere in the output.</summary>
    public static IReadOnlyList<string> PlantedValues(int patient) =>
        [FamilyName, GivenName, BirthDate, AccessionNumber, PhysicianFamily, OperatorFamily, "Evergreen Terrace", PatientId(patient)];

    public sealed record Options(bool BurnedIn = false, bool Overlay = false);

    /// <summary>A CT image with identifiers in the header, descriptions, a private element, nested sequences and (optionally) an overlay and burned-in flag.</summary>
    public static DicomDataset Image(int patient, int study, int instance, Options? options = null)
    {
        options ??= new Options();
        var ds = Common(patient, study, "1.2.840.10008.5.1.4.1.1.2", $"{StudyUidRoot}.{patient}.{study}.1.{instance}", $"{StudyUidRoot}.{patient}.{study}.1");
        ds.AddOrUpdate(DicomTags.ImageType, "ORIGINAL", "PRIMARY", "AXIAL");
        ds.AddOrUpdate(DicomTags.Modality, "CT");
        ds.AddOrUpdate(DicomTags.ImageComments, $"patient born {BirthDate}, seen by Dr. {PhysicianFamily}");
        ds.AddOrUpdate(DicomTags.InstanceNumber, (instance + 1).ToString(CultureInfo.InvariantCulture));
        ds.AddOrUpdate(DicomTags.FrameOfReferenceUID, $"{StudyUidRoot}.{patient}.{study}.9");
        ds.AddOrUpdate(DicomTags.BurnedInAnnotation, options.BurnedIn ? "YES" : "NO");
        if (options.Overlay)
        {
            ds.AddOrUpdate(new DicomTag(0x6000, 0x0010), VR.US, (ushort)4);
            ds.AddOrUpdate(new DicomTag(0x6000, 0x0011), VR.US, (ushort)4);
            ds.AddOrUpdate(new DicomTag(0x6000, 0x0040), VR.CS, "G");
            ds.AddOrUpdate(new DicomTag(0x6000, 0x0050), VR.SS, (short)1, (short)1);
            ds.AddOrUpdate(new DicomTag(0x6000, 0x0100), VR.US, (ushort)1);
            ds.AddOrUpdate(new DicomTag(0x6000, 0x0102), VR.US, (ushort)0);
            ds.AddOrUpdate(new DicomTag(0x6000, 0x3000), VR.OW, new byte[] { 0xFF, 0x00 });
        }
        ds.AddOrUpdate(DicomTags.SamplesPerPixel, VR.US, (ushort)1);
        ds.AddOrUpdate(DicomTags.PhotometricInterpretation, "MONOCHROME2");
        ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)4);
        ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)4);
        ds.AddOrUpdate(DicomTags.BitsAllocated, VR.US, (ushort)16);
        ds.AddOrUpdate(DicomTags.BitsStored, VR.US, (ushort)12);
        ds.AddOrUpdate(DicomTags.HighBit, VR.US, (ushort)11);
        ds.AddOrUpdate(DicomTags.PixelRepresentation, VR.US, (ushort)0);
        ds.AddOrUpdate(DicomTags.RescaleIntercept, "-1024");
        ds.AddOrUpdate(DicomTags.RescaleSlope, "1");
        ds.AddOrUpdate(DicomTags.PixelData, VR.OW, Enumerable.Range(0, 16).Select(i => (ushort)(i * 100)).ToArray());
        return ds;
    }

    /// <summary>A Basic Text SR whose text item names the patient and which references image 0 of the study.</summary>
    public static DicomDataset Report(int patient, int study)
    {
        var ds = Common(patient, study, "1.2.840.10008.5.1.4.1.1.88.11", $"{StudyUidRoot}.{patient}.{study}.2.1", $"{StudyUidRoot}.{patient}.{study}.2");
        ds.AddOrUpdate(DicomTags.Modality, "SR");
        ds.AddOrUpdate(DicomTags.ValueType, "CONTAINER");
        ds.AddOrUpdate(DicomTags.ContinuityOfContent, "SEPARATE");
        ds.AddOrUpdate(DicomTags.CompletionFlag, "COMPLETE");
        ds.AddOrUpdate(DicomTags.VerificationFlag, "UNVERIFIED");
        ds.AddOrUpdate(DicomTags.ConceptNameCodeSequence, Code("11528-7", "LN", "Radiology Report"));
        var text = new DicomDataset();
        text.AddOrUpdate(DicomTags.RelationshipType, "CONTAINS");
        text.AddOrUpdate(DicomTags.ValueType, "TEXT");
        text.AddOrUpdate(DicomTags.ConceptNameCodeSequence, Code("121071", "DCM", "Finding"));
        text.AddOrUpdate(DicomTags.TextValue, $"{GivenName} {FamilyName} ({PatientId(patient)}) has a nodule.");
        var image = new DicomDataset();
        image.AddOrUpdate(DicomTags.RelationshipType, "CONTAINS");
        image.AddOrUpdate(DicomTags.ValueType, "IMAGE");
        var refSop = new DicomDataset();
        refSop.AddOrUpdate(DicomTags.ReferencedSOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
        refSop.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, $"{StudyUidRoot}.{patient}.{study}.1.0");
        image.AddOrUpdate(DicomTags.ReferencedSOPSequence, refSop);
        ds.AddOrUpdate(DicomTags.ContentSequence, text, image);
        // Current Requested Procedure Evidence: the study, series and instance references SR carries.
        var sop = new DicomDataset();
        sop.AddOrUpdate(DicomTags.ReferencedSOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
        sop.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, $"{StudyUidRoot}.{patient}.{study}.1.0");
        var series = new DicomDataset();
        series.AddOrUpdate(DicomTags.SeriesInstanceUID, $"{StudyUidRoot}.{patient}.{study}.1");
        series.AddOrUpdate(DicomTags.ReferencedSOPSequence, sop);
        var evidence = new DicomDataset();
        evidence.AddOrUpdate(DicomTags.StudyInstanceUID, $"{StudyUidRoot}.{patient}.{study}");
        evidence.AddOrUpdate(DicomTags.ReferencedSeriesSequence, series);
        ds.AddOrUpdate(DicomTags.CurrentRequestedProcedureEvidenceSequence, evidence);
        return ds;
    }

    private static DicomDataset Common(int patient, int study, string sopClass, string sop, string seriesUid)
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 100");
        ds.AddOrUpdate(DicomTags.SOPClassUID, sopClass);
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, sop);
        ds.AddOrUpdate(DicomTags.StudyDate, "20200312");
        ds.AddOrUpdate(DicomTags.ContentDate, "20200312");
        ds.AddOrUpdate(DicomTags.StudyTime, "101500");
        ds.AddOrUpdate(DicomTags.ContentTime, "101500");
        ds.AddOrUpdate(DicomTags.AccessionNumber, AccessionNumber);
        ds.AddOrUpdate(DicomTags.Manufacturer, "ACME");
        ds.AddOrUpdate(DicomTags.InstitutionName, "Springfield General");
        ds.AddOrUpdate(DicomTags.InstitutionAddress, InstitutionAddress);
        ds.AddOrUpdate(DicomTags.ReferringPhysicianName, PhysicianFamily + "^Waylon");
        ds.AddOrUpdate(DicomTags.StudyDescription, $"CT chest {FamilyName}");
        ds.AddOrUpdate(DicomTags.OperatorsName, OperatorFamily + "^Agnes");
        ds.AddOrUpdate(DicomTags.PerformingPhysicianName, PhysicianFamily + "^Waylon");
        ds.AddOrUpdate(DicomTags.PatientName, PatientName);
        ds.AddOrUpdate(DicomTags.PatientID, PatientId(patient));
        ds.AddOrUpdate(DicomTags.PatientBirthDate, BirthDate);
        ds.AddOrUpdate(DicomTags.PatientSex, "M");
        ds.AddOrUpdate(DicomTags.PatientAge, "059Y");
        ds.AddOrUpdate(DicomTags.StudyInstanceUID, $"{StudyUidRoot}.{patient}.{study}");
        ds.AddOrUpdate(DicomTags.SeriesInstanceUID, seriesUid);
        ds.AddOrUpdate(DicomTags.StudyID, "S" + study.ToString(CultureInfo.InvariantCulture));
        ds.AddOrUpdate(DicomTags.SeriesNumber, "1");
        // The accession number in the Request Attributes Sequence; the patient ID three levels deep.
        var request = new DicomDataset();
        request.AddOrUpdate(DicomTags.AccessionNumber, AccessionNumber);
        request.AddOrUpdate(DicomTags.RequestedProcedureID, PatientId(patient));
        var level3 = new DicomDataset();
        level3.AddOrUpdate(DicomTags.PatientID, PatientId(patient));
        level3.AddOrUpdate(DicomTags.OtherPatientIDs, PatientId(patient));
        var level2 = new DicomDataset();
        level2.AddOrUpdate(DicomTags.ReferencedSOPClassUID, "1.2.840.10008.3.1.2.3.1");
        level2.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, $"{StudyUidRoot}.{patient}.{study}.7");
        level2.AddOrUpdate(DicomTags.ReferencedPatientSequence, level3);
        request.AddOrUpdate(DicomTags.ReferencedStudySequence, level2);
        ds.AddOrUpdate(DicomTags.RequestAttributesSequence, request);
        // The ID in a private element.
        var creator = ds.GetPrivateTag(0x0013, "PHI TEST", 0x10);
        ds.AddOrUpdate(creator, VR.LO, PatientId(patient));
        return ds;
    }

    private static DicomDataset Code(string value, string scheme, string meaning)
    {
        var code = new DicomDataset();
        code.AddOrUpdate(DicomTags.CodeValue, value);
        code.AddOrUpdate(DicomTags.CodingSchemeDesignator, scheme);
        code.AddOrUpdate(DicomTags.CodeMeaning, meaning);
        return code;
    }

    /// <summary>Writes a study (3 images and a report) per patient into <paramref name="folder"/>; returns the paths.</summary>
    public static List<string> WriteStudy(string folder, int patient, int study, Options? options = null)
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var path = Path.Combine(folder, $"p{patient}-s{study}-ct{i}.dcm");
            new DicomFile(new DicomDataset(), Image(patient, study, i, options), TransferSyntax.ExplicitVRLittleEndian).Save(path);
            paths.Add(path);
        }
        var sr = Path.Combine(folder, $"p{patient}-s{study}-sr.dcm");
        new DicomFile(new DicomDataset(), Report(patient, study), TransferSyntax.ExplicitVRLittleEndian).Save(sr);
        paths.Add(sr);
        return paths;
    }
}
