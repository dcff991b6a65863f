using System.Globalization;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Indexing;

/// <summary>
/// The attributes the query index covers by default, each at the level its module lives at (PS3.4 C.6.1.1 / C.6.2.1
/// tables, PS3.18 10.6.1.2 QIDO-RS matching and 10.6.3 response attributes), and the parser for the configured extra
/// ones, private tags included.
/// <para>
/// A configured attribute is one string: <c>TAG[@CREATOR] [VR] LEVEL</c>, e.g. <c>ProtocolName Series</c>,
/// <c>(0018,1030) LO Series</c>, <c>0019,xx0C@GEMS_ACQU_01 DS Series</c>. TAG is a keyword, <c>gggg,eeee</c> or
/// <c>(gggg,eeee)</c>; a private tag is written with <c>xx</c> for its block and its private creator after '@'
/// (PS3.5 7.8.1), so it is found whatever block the creator reserved in a given file. VR is optional for a tag the
/// dictionary knows and required for a private one. LEVEL is Patient, Study, Series or Image (Instance).
/// </para>
/// </summary>
public static class IndexedAttributes
{
    // (keyword, level). Levels: patient module attributes at Patient, general study / patient study at Study,
    // series-level modules at Series, everything that may differ per instance at Image (PS3.3 IOD modules).
    private static readonly (string Keyword, QueryLevel Level)[] DefaultKeywords =
    [
        // Patient (PS3.4 C.6.1.1.2 Patient level; PS3.3 C.7.1.1 Patient, C.7.1.3 Clinical Trial Subject)
        ("PatientName", QueryLevel.Patient), ("PatientID", QueryLevel.Patient), ("IssuerOfPatientID", QueryLevel.Patient),
        ("PatientBirthDate", QueryLevel.Patient), ("PatientBirthTime", QueryLevel.Patient), ("PatientSex", QueryLevel.Patient),
        ("EthnicGroup", QueryLevel.Patient), ("OtherPatientIDsSequence", QueryLevel.Patient), ("PatientComments", QueryLevel.Patient),
        ("PatientIdentityRemoved", QueryLevel.Patient), ("DeidentificationMethod", QueryLevel.Patient),
        ("PatientSpeciesDescription", QueryLevel.Patient), ("ResponsiblePerson", QueryLevel.Patient),
        ("ClinicalTrialSponsorName", QueryLevel.Patient), ("ClinicalTrialProtocolID", QueryLevel.Patient),
        ("ClinicalTrialProtocolName", QueryLevel.Patient), ("ClinicalTrialSiteID", QueryLevel.Patient),
        ("ClinicalTrialSiteName", QueryLevel.Patient), ("ClinicalTrialSubjectID", QueryLevel.Patient),
        ("ClinicalTrialSubjectReadingID", QueryLevel.Patient),
        // Study (PS3.4 C.6.1.1.3; PS3.3 C.7.2.1 General Study, C.7.2.2 Patient Study, C.7.2.3 Clinical Trial Study)
        ("StudyInstanceUID", QueryLevel.Study), ("StudyDate", QueryLevel.Study), ("StudyTime", QueryLevel.Study),
        ("AccessionNumber", QueryLevel.Study), ("StudyID", QueryLevel.Study), ("StudyDescription", QueryLevel.Study),
        ("ReferringPhysicianName", QueryLevel.Study), ("NameOfPhysiciansReadingStudy", QueryLevel.Study),
        ("ModalitiesInStudy", QueryLevel.Study), ("SOPClassesInStudy", QueryLevel.Study),
        ("AdmittingDiagnosesDescription", QueryLevel.Study), ("PatientAge", QueryLevel.Study), ("PatientSize", QueryLevel.Study),
        ("PatientWeight", QueryLevel.Study), ("AdditionalPatientHistory", QueryLevel.Study),
        ("ClinicalTrialTimePointID", QueryLevel.Study), ("ClinicalTrialTimePointDescription", QueryLevel.Study),
        ("TimezoneOffsetFromUTC", QueryLevel.Study),
        // Series (PS3.4 C.6.1.1.4; PS3.3 C.7.3.1 General Series, C.7.3.2 Clinical Trial Series, C.7.4.1 Frame of
        // Reference, C.7.5.1 General Equipment, C.8.x modality series modules)
        ("SeriesInstanceUID", QueryLevel.Series), ("Modality", QueryLevel.Series), ("SeriesNumber", QueryLevel.Series),
        ("SeriesDescription", QueryLevel.Series), ("SeriesDate", QueryLevel.Series), ("SeriesTime", QueryLevel.Series),
        ("PerformedProcedureStepStartDate", QueryLevel.Series), ("PerformedProcedureStepStartTime", QueryLevel.Series),
        ("PerformedProcedureStepID", QueryLevel.Series), ("RequestAttributesSequence", QueryLevel.Series),
        ("ScheduledProcedureStepID", QueryLevel.Series), ("RequestedProcedureID", QueryLevel.Series),
        ("BodyPartExamined", QueryLevel.Series), ("Laterality", QueryLevel.Series), ("ProtocolName", QueryLevel.Series),
        ("OperatorsName", QueryLevel.Series), ("PerformingPhysicianName", QueryLevel.Series), ("PatientPosition", QueryLevel.Series),
        ("ClinicalTrialCoordinatingCenterName", QueryLevel.Series), ("ClinicalTrialSeriesID", QueryLevel.Series),
        ("ClinicalTrialSeriesDescription", QueryLevel.Series), ("FrameOfReferenceUID", QueryLevel.Series),
        ("Manufacturer", QueryLevel.Series), ("ManufacturerModelName", QueryLevel.Series), ("SoftwareVersions", QueryLevel.Series),
        ("InstitutionName", QueryLevel.Series), ("InstitutionalDepartmentName", QueryLevel.Series), ("StationName", QueryLevel.Series),
        ("DeviceSerialNumber", QueryLevel.Series),
        // Instance (PS3.4 C.6.1.1.5; PS3.3 C.12.1 SOP Common, C.7.6.1 General Image, C.7.6.2 Image Plane, C.7.6.3 Image
        // Pixel, C.8.2.1 CT Image, C.8.3.1 MR Image, C.8.4.9 NM/PET, C.8.9.1 PET Series and Isotope, Part 10 meta)
        ("SOPInstanceUID", QueryLevel.Image), ("SOPClassUID", QueryLevel.Image), ("TransferSyntaxUID", QueryLevel.Image),
        ("InstanceNumber", QueryLevel.Image), ("AcquisitionNumber", QueryLevel.Image), ("ImageType", QueryLevel.Image),
        ("AcquisitionDate", QueryLevel.Image), ("AcquisitionTime", QueryLevel.Image), ("AcquisitionDateTime", QueryLevel.Image),
        ("ContentDate", QueryLevel.Image), ("ContentTime", QueryLevel.Image), ("InstanceCreationDate", QueryLevel.Image),
        ("ImageComments", QueryLevel.Image), ("BurnedInAnnotation", QueryLevel.Image), ("LossyImageCompression", QueryLevel.Image),
        ("Rows", QueryLevel.Image), ("Columns", QueryLevel.Image), ("BitsAllocated", QueryLevel.Image), ("BitsStored", QueryLevel.Image),
        ("PhotometricInterpretation", QueryLevel.Image), ("SamplesPerPixel", QueryLevel.Image), ("NumberOfFrames", QueryLevel.Image),
        ("PixelSpacing", QueryLevel.Image), ("SliceThickness", QueryLevel.Image), ("SpacingBetweenSlices", QueryLevel.Image),
        ("SliceLocation", QueryLevel.Image), ("ImagePositionPatient", QueryLevel.Image), ("ImageOrientationPatient", QueryLevel.Image),
        ("KVP", QueryLevel.Image), ("XRayTubeCurrent", QueryLevel.Image), ("Exposure", QueryLevel.Image), ("ExposureTime", QueryLevel.Image),
        ("ConvolutionKernel", QueryLevel.Image), ("ReconstructionDiameter", QueryLevel.Image), ("SpiralPitchFactor", QueryLevel.Image),
        ("CTDIvol", QueryLevel.Image), ("ContrastBolusAgent", QueryLevel.Image), ("RepetitionTime", QueryLevel.Image),
        ("EchoTime", QueryLevel.Image), ("InversionTime", QueryLevel.Image), ("FlipAngle", QueryLevel.Image),
        ("MagneticFieldStrength", QueryLevel.Image), ("ScanningSequence", QueryLevel.Image), ("SequenceVariant", QueryLevel.Image),
        ("MRAcquisitionType", QueryLevel.Image), ("Radiopharmaceutical", QueryLevel.Image), ("Units", QueryLevel.Image),
        ("DecayCorrection", QueryLevel.Image), ("ReconstructionMethod", QueryLevel.Image),
    ];

    /// <summary>Attributes whose value is derived from other instances' attributes (PS3.4 C.6.1.1.3): the index answers them from these.</summary>
    public static readonly IReadOnlyDictionary<DicomTag, DicomTag> DerivedFrom = new Dictionary<DicomTag, DicomTag>
    {
        [DicomTags.ModalitiesInStudy] = DicomTags.Modality,
        [DicomTags.SOPClassesInStudy] = DicomTags.SOPClassUID,
    };

    /// <summary>The default list (more than 90 attributes), in tag order.</summary>
    public static IReadOnlyList<IndexedAttribute> Default { get; } =
        DefaultKeywords.Select(k => Parse($"{k.Keyword} {k.Level}")).OrderBy(a => a.Tag).ToArray();

    /// <summary>Parses <c>TAG[@CREATOR] [VR] LEVEL</c> (see the type's summary).</summary>
    public static IndexedAttribute Parse(string spec)
    {
        // The private creator may contain spaces: the level is the last word, the VR the one before it when it is one.
        var words = spec.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2) throw new FormatException($"'{spec}': expected 'TAG[@CREATOR] [VR] LEVEL'.");
        var level = DicomQuery.ParseLevel(words[^1]);
        var hasVR = words.Length >= 3 && VR.TryParse(words[^2], out _);
        var tagWords = words[..^(hasVR ? 2 : 1)];
        if (tagWords.Length > 1 && !tagWords[0].Contains('@', StringComparison.Ordinal))
            throw new FormatException($"'{spec}': expected 'TAG[@CREATOR] [VR] LEVEL'.");
        string[] parts = hasVR ? [string.Join(' ', tagWords), words[^2], words[^1]] : [string.Join(' ', tagWords), words[^1]];
        var at = parts[0].IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            var creator = parts[0][(at + 1)..];
            var tagText = parts[0][..at].Trim('(', ')').Replace(",", "", StringComparison.Ordinal);
            if (creator.Length == 0 || tagText.Length != 8 || !tagText[4..6].Equals("xx", StringComparison.OrdinalIgnoreCase)
                || !ushort.TryParse(tagText[..4], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var group) || (group & 1) == 0
                || !byte.TryParse(tagText[6..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var offset))
                throw new FormatException($"'{spec}': a private attribute is written gggg,xxee@CREATOR with an odd group.");
            if (parts.Length != 3 || !VR.TryParse(parts[1], out var pvr)) throw new FormatException($"'{spec}': a private attribute needs its VR.");
            // The tag in block 0x10 stands for the attribute; the index finds the real block through the creator.
            return new IndexedAttribute(new DicomTag(group, (ushort)(0x1000 | offset)), $"{group:X4},xx{offset:X2}@{creator}", pvr, level);
        }
        if (!DicomTag.TryParse(parts[0], out var tag)) throw new FormatException($"'{spec}': '{parts[0]}' is not a tag or keyword.");
        var entry = DicomDictionary.Find(tag);
        VR vr;
        if (parts.Length == 3) { if (!VR.TryParse(parts[1], out vr)) throw new FormatException($"'{spec}': '{parts[1]}' is not a VR."); }
        else vr = entry?.VR ?? throw new FormatException($"'{spec}': the dictionary does not know {tag}; give its VR.");
        return new IndexedAttribute(tag, entry?.Keyword ?? tag.ToString(), vr, level);
    }

    /// <summary>The private creator of an attribute parsed from <c>gggg,xxee@CREATOR</c>, or null for a standard one.</summary>
    public static string? PrivateCreatorOf(IndexedAttribute attribute)
    {
        if (!attribute.Tag.IsPrivate) return null;
        var at = attribute.Keyword.IndexOf('@', StringComparison.Ordinal);
        return at >= 0 ? attribute.Keyword[(at + 1)..] : null;
    }
}
