using System.Globalization;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Tests;

/// <summary>
/// A generated hierarchy written as Part 10 files: patients × studies × series × instances, with accented names (in
/// ISO_IR 192 and ISO_IR 100), dates, times, modalities, a code sequence, some attributes empty or absent.
/// </summary>
internal static class GeneratedData
{
    public static readonly string[] PatientNames = ["Dupont^Jérôme", "Müller^Anna^Maria", "Doe^John"];
    private static readonly string[] Modalities = ["CT", "MR", "PT"];
    private static readonly string[] SopClasses = ["1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.128"];
    private static readonly string[] StudyDescriptions = ["Chest CT", "Brain MRI", "PET-CT whole body", "Follow-up"];

    public static string Root(int run) => $"1.2.826.0.1.3680043.10.543.{run}";

    /// <summary>Writes the files into <paramref name="folder"/> and returns their paths.</summary>
    public static List<string> Write(string folder, int run, int patients = 3, int studies = 4, int series = 3, int instances = 5)
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        for (var p = 0; p < patients; p++)
            for (var s = 0; s < studies; s++)
                for (var se = 0; se < series; se++)
                    for (var i = 0; i < instances; i++)
                    {
                        var ds = Instance(run, p, s, se, i);
                        var path = Path.Combine(folder, $"p{p}s{s}e{se}i{i}.dcm");
                        new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).Save(path);
                        paths.Add(path);
                    }
        return paths;
    }

    public static DicomDataset Instance(int run, int p, int s, int se, int i)
    {
        var ds = new DicomDataset();
        var root = Root(run);
        ds.AddOrUpdate(DicomTags.SpecificCharacterSet, p == 1 ? "ISO_IR 100" : "ISO_IR 192");
        var modality = Modalities[(s + se) % Modalities.Length];
        ds.AddOrUpdate(DicomTags.SOPClassUID, SopClasses[(s + se) % SopClasses.Length]);
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, $"{root}.{p}.{s}.{se}.{i}.4");
        ds.AddOrUpdate(DicomTags.StudyDate, $"{2010 + p * 4 + s}{(s * 3 + 1):00}{(p * 7 + 3):00}");
        ds.AddOrUpdate(DicomTags.StudyTime, $"{8 + s:00}{p * 10:00}00");
        ds.AddOrUpdate(DicomTags.SeriesDate, $"{2010 + p * 4 + s}{(s * 3 + 1):00}{(p * 7 + 3):00}");
        ds.AddOrUpdate(DicomTags.ContentDate, $"{2010 + p * 4 + s}{(s * 3 + 1):00}{(p * 7 + 3 + i % 2):00}");
        // Study 2 breaks VM 1 as real files do (two accession numbers): the catalog must still find it by either value.
        ds.AddOrUpdate(DicomTags.AccessionNumber, s == 2 ? $"ACC{run % 100}{p}{s}\\OTHER{p}" : $"ACC{run % 100}{p}{s}");
        ds.AddOrUpdate(DicomTags.Modality, modality);
        if (s != 3) ds.AddOrUpdate(DicomTags.ReferringPhysicianName, p == 2 ? "Smith^Jane" : "Ångström^Lars");
        ds.AddOrUpdate(DicomTags.StudyDescription, StudyDescriptions[s]);
        ds.AddOrUpdate(DicomTags.SeriesDescription, $"{modality} series {se + 1}");
        var code = new DicomDataset();
        code.AddOrUpdate(DicomTags.CodeValue, $"P{s}");
        code.AddOrUpdate(DicomTags.CodingSchemeDesignator, "99TEST");
        code.AddOrUpdate(DicomTags.CodeMeaning, StudyDescriptions[s]);
        ds.AddOrUpdate(DicomTags.ProcedureCodeSequence, code);
        ds.AddOrUpdate(DicomTags.PatientName, PatientNames[p]);
        ds.AddOrUpdate(DicomTags.PatientID, $"GEN{run}-{p}");
        if (p != 2) ds.AddOrUpdate(DicomTags.PatientBirthDate, $"19{50 + p * 10}0{p + 1}15");
        else ds.AddOrUpdate(DicomTags.PatientBirthDate, Array.Empty<string>());
        ds.AddOrUpdate(DicomTags.PatientSex, p % 2 == 0 ? "M" : "F");
        ds.AddOrUpdate(DicomTags.PatientAge, $"0{40 + p}Y");
        if (se != 2) ds.AddOrUpdate(DicomTags.BodyPartExamined, s % 2 == 0 ? "CHEST" : "HEAD");
        ds.AddOrUpdate(DicomTags.StudyInstanceUID, $"{root}.{p}.{s}.1");
        ds.AddOrUpdate(DicomTags.SeriesInstanceUID, $"{root}.{p}.{s}.{se}.2");
        ds.AddOrUpdate(DicomTags.StudyID, $"S{s}");
        ds.AddOrUpdate(DicomTags.SeriesNumber, (se + 1).ToString(CultureInfo.InvariantCulture));
        ds.AddOrUpdate(DicomTags.InstanceNumber, (i + 1).ToString(CultureInfo.InvariantCulture));
        ds.AddOrUpdate(DicomTags.SamplesPerPixel, VR.US, (ushort)1);
        ds.AddOrUpdate(DicomTags.PhotometricInterpretation, "MONOCHROME2");
        ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)(4 + se * 2));
        ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)4);
        ds.AddOrUpdate(DicomTags.BitsAllocated, VR.US, (ushort)16);
        ds.AddOrUpdate(DicomTags.BitsStored, VR.US, (ushort)12);
        ds.AddOrUpdate(DicomTags.HighBit, VR.US, (ushort)11);
        ds.AddOrUpdate(DicomTags.PixelRepresentation, VR.US, (ushort)0);
        var pixels = new ushort[(4 + se * 2) * 4];
        for (var k = 0; k < pixels.Length; k++) pixels[k] = (ushort)(k * 7 + i);
        ds.AddOrUpdate(DicomTags.PixelData, VR.OW, pixels);
        return ds;
    }

    /// <summary>The catalog entry of <paramref name="header"/> (default collection, a made-up file path and hash), for catalog-only tests.</summary>
    public static Catalog.CatalogEntry Entry(DicomDataset header) =>
        Storing.EntryFactory.Create(header, Storing.StoreRequest.DefaultCollection, TransferSyntax.ExplicitVRLittleEndian,
            $"x/{header.GetString(DicomTags.SOPInstanceUID)}.dcm", new string('a', 64), 100, DateTimeOffset.UtcNow, replace: false);

    /// <summary>The catalog entry of the first instance of generated study <paramref name="study"/>.</summary>
    public static Catalog.CatalogEntry Entry(int study) => Entry(Instance(study, 0, 0, 0, 0));
}
