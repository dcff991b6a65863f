using System.Globalization;
using TciaPacs.Dicom;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>A small known hierarchy: 2 patients, 3 studies (2 + 1), 2 series per study, 2 instances per series.</summary>
internal static class GeneratedStudies
{
    public const int Patients = 2, Studies = 3, Series = 6, Instances = 12;

    public static string StudyUid(int study) => $"1.2.826.0.1.3680043.10.544.77.{study}";
    public static string SeriesUid(int study, int series) => $"{StudyUid(study)}.{series + 1}";

    public static List<string> Write(string folder, int pixelBytes = 64)
    {
        var paths = new List<string>();
        for (var st = 0; st < Studies; st++)
            for (var se = 0; se < 2; se++)
                for (var i = 0; i < 2; i++)
                {
                    var patient = st < 2 ? 1 : 2;
                    var ds = new DicomDataset();
                    ds.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, "1.2.840.10008.5.1.4.1.1.7");
                    ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, $"{SeriesUid(st, se)}.{i + 1}");
                    ds.AddOrUpdate(DicomTags.StudyDate, VR.DA, $"2020010{st + 1}");
                    ds.AddOrUpdate(DicomTags.Modality, VR.CS, se == 0 ? "CT" : "MR");
                    ds.AddOrUpdate(DicomTags.PatientName, VR.PN, patient == 1 ? "Doe^John" : "Roe^Jane");
                    ds.AddOrUpdate(DicomTags.PatientID, VR.LO, $"P{patient}");
                    ds.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, StudyUid(st));
                    ds.AddOrUpdate(DicomTags.SeriesInstanceUID, VR.UI, SeriesUid(st, se));
                    ds.AddOrUpdate(DicomTags.StudyID, VR.SH, $"S{st}");
                    ds.AddOrUpdate(DicomTags.SeriesNumber, VR.IS, (se + 1).ToString(CultureInfo.InvariantCulture));
                    ds.AddOrUpdate(DicomTags.InstanceNumber, VR.IS, (i + 1).ToString(CultureInfo.InvariantCulture));
                    ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)1);
                    ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)(pixelBytes / 2));
                    ds.AddOrUpdate(DicomTags.BitsAllocated, VR.US, (ushort)16);
                    var pixels = new byte[pixelBytes];
                    new Random(st * 100 + se * 10 + i).NextBytes(pixels);
                    ds.AddOrUpdate(DicomTags.PixelData, VR.OW, pixels);
                    var path = Path.Combine(folder, $"st{st}-se{se}-i{i}.dcm");
                    new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).Save(path);
                    paths.Add(path);
                }
        return paths;
    }

    /// <summary>
    /// Studies of one Secondary Capture instance each (UIDs <paramref name="studyUid"/>(i), .1 and .1.1, one patient),
    /// given their own attributes by <paramref name="fill"/>, written to <paramref name="folder"/> and stored by our store verb.
    /// </summary>
    public static void StoreOneInstanceStudies(ServerProcess server, string folder, int count, Func<int, string> studyUid, string patientId,
        Action<int, DicomDataset> fill)
    {
        WriteOneInstanceStudies(folder, count, studyUid, patientId, fill);
        var r = Tciapacs.Run("store", "127.0.0.1", server.PortText, folder, "--aec", server.Ae);
        NUnit.Framework.Assert.That(r.ExitCode, NUnit.Framework.Is.Zero, r.StdOut + r.StdErr);
    }

    /// <summary>The files of <see cref="StoreOneInstanceStudies"/>, written and not sent (<c>{i}.dcm</c>).</summary>
    public static void WriteOneInstanceStudies(string folder, int count, Func<int, string> studyUid, string patientId, Action<int, DicomDataset> fill)
    {
        for (var i = 0; i < count; i++)
        {
            var ds = new DicomDataset();
            ds.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, "1.2.840.10008.5.1.4.1.1.7");
            ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, studyUid(i) + ".1.1");
            ds.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, studyUid(i));
            ds.AddOrUpdate(DicomTags.SeriesInstanceUID, VR.UI, studyUid(i) + ".1");
            ds.AddOrUpdate(DicomTags.PatientID, VR.LO, patientId);
            ds.AddOrUpdate(DicomTags.Modality, VR.CS, "OT");
            fill(i, ds);
            new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).Save(Path.Combine(folder, $"{i}.dcm"));
        }
    }
}
