using System.Globalization;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Server.Tests;

/// <summary>Small generated instances (and temporary folders) for the archive command tests.</summary>
internal static class ArchiveTestData
{
    public static int FreePort() => LoopbackPort.Free();

    public static string TempFolder(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tciapacs-{prefix}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// A configuration that stores instances as sent (no de-identification, no PHI scan), for the tests of the archive
    /// core, which query by the names and UIDs they wrote.
    /// </summary>
    public static string AsSentConfig => AsSent.Value;

    private static readonly Lazy<string> AsSent = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"tciapacs-as-sent-{Environment.ProcessId}.json");
        File.WriteAllText(path, """{ "Deidentification": { "Default": { "Profile": "None" } } }""");
        // One per test process; removed with it so that runs leave nothing in the temporary folder.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    });

    public static string SopUid(int run, int study, int series, int instance) => $"1.2.826.0.1.3680043.10.544.{run}.{study}.{series}.{instance}";

    /// <summary>Writes <paramref name="studies"/> × <paramref name="series"/> × <paramref name="instances"/> files; 2 patients, names with accents.</summary>
    public static List<string> Write(string folder, int run, int studies, int series, int instances)
    {
        var paths = new List<string>();
        for (var st = 0; st < studies; st++)
            for (var se = 0; se < series; se++)
                for (var i = 0; i < instances; i++)
                {
                    var ds = new DicomDataset();
                    ds.AddOrUpdate(DicomTags.SpecificCharacterSet, "ISO_IR 192");
                    ds.AddOrUpdate(DicomTags.SOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
                    ds.AddOrUpdate(DicomTags.SOPInstanceUID, SopUid(run, st, se, i));
                    ds.AddOrUpdate(DicomTags.StudyDate, $"20{10 + st % 12:00}0{1 + st % 9}15");
                    ds.AddOrUpdate(DicomTags.Modality, se % 2 == 0 ? "CT" : "MR");
                    ds.AddOrUpdate(DicomTags.StudyDescription, $"Study {st}");
                    ds.AddOrUpdate(DicomTags.PatientName, st % 2 == 0 ? "Çelik^Zoë" : "Doe^John");
                    ds.AddOrUpdate(DicomTags.PatientID, $"P{run}-{st % 2}");
                    ds.AddOrUpdate(DicomTags.StudyInstanceUID, $"1.2.826.0.1.3680043.10.544.{run}.{st}.1");
                    ds.AddOrUpdate(DicomTags.SeriesInstanceUID, $"1.2.826.0.1.3680043.10.544.{run}.{st}.{se}.2");
                    ds.AddOrUpdate(DicomTags.SeriesNumber, (se + 1).ToString(CultureInfo.InvariantCulture));
                    ds.AddOrUpdate(DicomTags.InstanceNumber, (i + 1).ToString(CultureInfo.InvariantCulture));
                    ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)2);
                    ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)2);
                    ds.AddOrUpdate(DicomTags.BitsAllocated, VR.US, (ushort)16);
                    ds.AddOrUpdate(DicomTags.PixelData, VR.OW, new ushort[] { 1, 2, 3, (ushort)i });
                    var path = Path.Combine(folder, $"st{st}-se{se}-i{i}.dcm");
                    new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).Save(path);
                    paths.Add(path);
                }
        return paths;
    }
}
