using System.Globalization;
using TciaPacs.Archive.Indexing;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Lucene.Tests;

/// <summary>
/// A generated archive: patients with accented, multi-group and odd names, studies with dates and times, series of
/// several modalities, instances with multi-valued, empty, absent, numeric, DT-with-offset, sequence and private values.
/// </summary>
internal static class GeneratedInstances
{
    public const string PrivateCreator = "TCIAPACS TEST";

    private static readonly string[] Names =
    [
        "Doe^John", "DOË^JOHANNA", "Müller^Jürgen", "Nguyễn^Văn^Minh", "O'Brien^Seán", "Yamada^Tarou=山田^太郎=やまだ^たろう",
        "doe^jane^^Dr.", "Smith-Jones^Anne Marie", "", "Jérôme^Lefèvre^^^III", "ANONYMOUS", "Wang^Xiaodong=王^小东",
    ];

    private static readonly string[] Modalities = ["CT", "MR", "PT", "SEG", "RTSTRUCT", "CR"];
    private static readonly string[] Descriptions = ["CHEST W/O CONTRAST", "Brain MRI", "", "PET-CT whole body", "abdomen*pelvis", "Knee?left"];

    public static List<IndexedInstance> Create(int patients = 12, int seed = 7)
    {
        var rng = new Random(seed);
        var result = new List<IndexedInstance>();
        for (var p = 0; p < patients; p++)
        {
            var patientId = p % 5 == 4 ? "" : $"PAT-{p:D3}";
            var issuer = p % 3 == 0 ? "TCIA" : "";
            var collection = p % 4 == 0 ? "tcga-brca" : p % 4 == 1 ? "lidc" : "default";
            var studies = 1 + rng.Next(3);
            for (var s = 0; s < studies; s++)
            {
                var studyUid = $"1.2.826.0.1.3680043.10.1{p}.{s}";
                var studyDate = new DateOnly(1995 + rng.Next(30), 1 + rng.Next(12), 1 + rng.Next(28));
                var studyTime = rng.Next(4) == 0 ? "" : $"{rng.Next(24):D2}{rng.Next(60):D2}{(rng.Next(2) == 0 ? "" : rng.Next(60).ToString("D2", CultureInfo.InvariantCulture))}";
                var series = 1 + rng.Next(3);
                for (var r = 0; r < series; r++)
                {
                    var seriesUid = $"{studyUid}.{r + 1}";
                    var modality = Modalities[rng.Next(Modalities.Length)];
                    var instances = 1 + rng.Next(4);
                    for (var i = 0; i < instances; i++)
                    {
                        var sop = $"{seriesUid}.{i + 1}";
                        var ds = new DicomDataset();
                        ds.AddOrUpdate(DicomTags.SpecificCharacterSet, VR.CS, "ISO_IR 192");
                        ds.AddOrUpdate(DicomTags.TransferSyntaxUID, VR.UI, i % 2 == 0 ? "1.2.840.10008.1.2.1" : "1.2.840.10008.1.2.4.50");
                        ds.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, modality == "MR" ? "1.2.840.10008.5.1.4.1.1.4" : modality == "CT" ? "1.2.840.10008.5.1.4.1.1.2" : "1.2.840.10008.5.1.4.1.1.7");
                        ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, sop);
                        ds.AddOrUpdate(DicomTags.StudyDate, VR.DA, DicomDateTimeText(studyDate));
                        if (studyTime.Length > 0) ds.AddOrUpdate(DicomTags.StudyTime, VR.TM, studyTime);
                        ds.AddOrUpdate(DicomTags.AccessionNumber, VR.SH, p % 2 == 0 ? $"ACC{p}{s}" : "");
                        ds.AddOrUpdate(DicomTags.Modality, VR.CS, modality);
                        ds.AddOrUpdate(DicomTags.ReferringPhysicianName, VR.PN, Names[(p + 3) % Names.Length]);
                        if (p % 3 != 2) ds.AddOrUpdate(DicomTags.StudyDescription, VR.LO, Descriptions[(p + s) % Descriptions.Length]);
                        ds.AddOrUpdate(DicomTags.SeriesDescription, VR.LO, $"{modality} series {r + 1}");
                        ds.AddOrUpdate(DicomTags.PatientName, VR.PN, Names[p % Names.Length]);
                        ds.AddOrUpdate(DicomTags.PatientID, VR.LO, patientId);
                        if (issuer.Length > 0) ds.AddOrUpdate(DicomTags.IssuerOfPatientID, VR.LO, issuer);
                        ds.AddOrUpdate(DicomTags.PatientBirthDate, VR.DA, p % 4 == 3 ? "" : DicomDateTimeText(new DateOnly(1930 + p * 5, 1 + p % 12, 1 + p)));
                        ds.AddOrUpdate(DicomTags.PatientSex, VR.CS, (p % 3) switch { 0 => "F", 1 => "M", _ => "O" });
                        ds.AddOrUpdate(DicomTags.PatientAge, VR.AS, $"{30 + p:D3}Y");
                        if (p % 2 == 1) ds.AddOrUpdate(DicomTags.PatientWeight, VR.DS, (60.5 + p).ToString(CultureInfo.InvariantCulture));
                        ds.AddOrUpdate(DicomTags.PatientIdentityRemoved, VR.CS, p % 2 == 0 ? "YES" : "NO");
                        if (p % 2 == 0) ds.AddOrUpdate(DicomTags.DeidentificationMethod, VR.LO, "DCM:113100", "Per DICOM PS 3.15 AnnexE");
                        ds.AddOrUpdate(DicomTags.ClinicalTrialProtocolID, VR.LO, collection.ToUpperInvariant());
                        ds.AddOrUpdate(DicomTags.ClinicalTrialSubjectID, VR.LO, $"{collection}-{p}");
                        ds.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, studyUid);
                        ds.AddOrUpdate(DicomTags.SeriesInstanceUID, VR.UI, seriesUid);
                        ds.AddOrUpdate(DicomTags.StudyID, VR.SH, $"S{s}");
                        ds.AddOrUpdate(DicomTags.SeriesNumber, VR.IS, (r + 1).ToString(CultureInfo.InvariantCulture));
                        ds.AddOrUpdate(DicomTags.InstanceNumber, VR.IS, (i + 1).ToString(CultureInfo.InvariantCulture));
                        ds.AddOrUpdate(DicomTags.ImageType, VR.CS, i % 3 == 0 ? ["ORIGINAL", "PRIMARY", "AXIAL"] : ["DERIVED", "SECONDARY"]);
                        ds.AddOrUpdate(DicomTags.BodyPartExamined, VR.CS, r % 2 == 0 ? "CHEST" : "HEAD");
                        ds.AddOrUpdate(DicomTags.Manufacturer, VR.LO, r % 2 == 0 ? "SIEMENS" : "GE MEDICAL SYSTEMS");
                        ds.AddOrUpdate(DicomTags.SliceThickness, VR.DS, (0.5 * (1 + rng.Next(10))).ToString(CultureInfo.InvariantCulture));
                        ds.AddOrUpdate(DicomTags.PixelSpacing, VR.DS, "0.703125", "0.703125");
                        ds.AddOrUpdate(DicomTags.KVP, VR.DS, rng.Next(2) == 0 ? "120" : "120.0");
                        ds.AddOrUpdate(DicomTags.SliceLocation, VR.DS, (-100 + 2.5 * i).ToString(CultureInfo.InvariantCulture));
                        ds.AddOrUpdate<ushort>(DicomTags.Rows, VR.US, (ushort)(256 << (i % 2)));
                        ds.AddOrUpdate<ushort>(DicomTags.Columns, VR.US, 512);
                        ds.AddOrUpdate<ushort>(DicomTags.BitsAllocated, VR.US, 16);
                        ds.AddOrUpdate<float>(DicomTags.SpiralPitchFactor, VR.FL, 0.1f * (1 + i));
                        ds.AddOrUpdate<double>(DicomTags.CTDIvol, VR.FD, 12.25 + i);
                        ds.AddOrUpdate(DicomTags.AcquisitionDate, VR.DA, DicomDateTimeText(studyDate.AddDays(i % 2)));
                        ds.AddOrUpdate(DicomTags.AcquisitionDateTime, VR.DT, i % 3 == 0 ? $"{DicomDateTimeText(studyDate)}{10 + i:D2}3000+0100" : i % 3 == 1 ? $"{DicomDateTimeText(studyDate)}0930-0500" : $"{studyDate.Year}");
                        ds.AddOrUpdate(DicomTags.ContentTime, VR.TM, i % 2 == 0 ? "103000.5" : "23");
                        ds.AddOrUpdate(DicomTags.ImageComments, VR.LT, i % 4 == 3 ? new string('x', 20_000) : $"comment {i}\\with backslash");
                        if (r % 2 == 0)
                        {
                            var item = new DicomDataset();
                            item.AddOrUpdate(DicomTags.RequestedProcedureID, VR.SH, $"RP{p}{s}");
                            item.AddOrUpdate(DicomTags.ScheduledProcedureStepID, VR.SH, $"SPS{r}");
                            var item2 = new DicomDataset();
                            item2.AddOrUpdate(DicomTags.RequestedProcedureID, VR.SH, "RPX");
                            ds.AddOrUpdate(DicomTags.RequestAttributesSequence, item, item2);
                        }
                        else if (r == 1) ds.AddOrUpdate(DicomTags.RequestAttributesSequence, Array.Empty<DicomDataset>());
                        // A private attribute in a block that moves between files (PS3.5 7.8.1).
                        if (i % 2 == 0) ds.GetPrivateTag(0x0011, "OTHER", 0x01);
                        var privateTag = ds.GetPrivateTag(0x0011, PrivateCreator, 0x01);
                        ds.AddOrUpdate(privateTag, VR.LO, $"private-{p}-{i % 3}");
                        var patientKey = patientId + "^" + issuer;
                        result.Add(new IndexedInstance(collection, patientKey, studyUid, seriesUid, sop, ds));
                    }
                }
            }
        }
        return result;
    }

    private static string DicomDateTimeText(DateOnly d) => d.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
}
