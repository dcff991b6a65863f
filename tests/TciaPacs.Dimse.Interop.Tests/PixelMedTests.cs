using System.Globalization;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;
using static TciaPacs.Dimse.Interop.Tests.PeerFiles;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// PixelMed (David Clunie's Java toolkit, Debian's libpixelmed-java) as the peer: its Verification, Storage and Move
/// SCU command lines, and for C-FIND with any keys and C-GET with a few storage classes our driver over its classes
/// (<c>conformance/pixelmed/PixelMedScu.java</c>, run by the JDK's source launcher).
/// </summary>
[TestFixture]
public sealed class PixelMedTests
{

    private static string Jar => "/usr/share/java/pixelmed.jar";

    private static ExternalTool.Result PixelMed(string mainClass, params string[] args)
    {
        if (!File.Exists(Jar)) throw new InvalidOperationException($"{Jar} is missing: apt-get install -y libpixelmed-java (bash .ci/run does)");
        return ExternalTool.Run(ExternalTool.Require("java"), ["-cp", Jar, mainClass, .. args], TimeSpan.FromMinutes(2));
    }

    private static ExternalTool.Result Driver(params string[] args) =>
        PixelMed(Path.Combine(Corpus.RepositoryRoot, "conformance", "pixelmed", "PixelMedScu.java"), args);

    [Test]
    public void PixelMed_echoes_stores_finds_gets_and_moves()
    {
        var destPort = ServerProcess.FreePort();
        using var server = new ServerProcess(null, "--peer", $"DEST@127.0.0.1:{destPort}");
        string[] to = ["127.0.0.1", server.PortText, server.Ae, "PIXELMED"];
        var echo = PixelMed("com.pixelmed.network.VerificationSOPClassSCU", [.. to, "0"]);
        Assert.That(echo.StdOut + echo.StdErr, Does.Contain("VerificationSOPClass: was successful"));

        // PixelMed sends a value of odd length as it is, and pads the last fragment with a zero byte: the data set then
        // ends with a byte after its last element, which we read as padding (dcmtk does too).
        string[] files = [Knee, Mr, Ct, French, OddLength, JpegLs];
        foreach (var f in files)
            Assert.That(PixelMed("com.pixelmed.network.StorageSOPClassSCU", [.. to, Corpus.PathOf(f)]).ExitCode, Is.Zero, f);
        var stored = server.StoredFiles();
        AssertStoredAsSent(stored, files);

        // C-FIND: Study Root at STUDY and IMAGE level, Patient Root at PATIENT level.
        var studies = Answers(Driver(["find", .. to, "study", "QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientName", "ModalitiesInStudy"]));
        Assert.That(studies.Select(s => s["0020000D"]), Is.EquivalentTo(files.Select(f => Uid(f, DicomTags.StudyInstanceUID)).Distinct()));
        Assert.That(studies.Single(s => s["0020000D"] == Uid(Knee, DicomTags.StudyInstanceUID))["00080061"], Is.EqualTo("MR"));
        var images = Answers(Driver(["find", .. to, "study", "QueryRetrieveLevel=IMAGE", $"SeriesInstanceUID={Uid(JpegLs, DicomTags.SeriesInstanceUID)}", "SOPInstanceUID", "SOPClassUID"]));
        Assert.That(images.Select(i => i["00080018"]), Is.EqualTo(new[] { Uid(JpegLs, DicomTags.SOPInstanceUID) }));
        var patients = Answers(Driver(["find", .. to, "patient", "QueryRetrieveLevel=PATIENT", $"PatientID={Uid(Knee, DicomTags.PatientID)}", "PatientName"]));
        Assert.That(patients.Select(p => p["00100010"]), Is.EqualTo(new[] { Uid(Knee, DicomTags.PatientName) }));

        // C-GET of every study with the stored files' classes (PixelMed proposes native syntaxes: the JPEG-LS image is
        // decoded for it), each received file equal to ours but for what decoding rewrites.
        var got = Path.Combine(server.Folder, "got");
        Directory.CreateDirectory(got);
        var classes = string.Join(',', files.Select(f => Uid(f, DicomTags.SOPClassUID)).Distinct());
        foreach (var study in files.Select(f => Uid(f, DicomTags.StudyInstanceUID)).Distinct())
        {
            var get = Driver(["get", .. to, got, classes, "QueryRetrieveLevel=STUDY", $"StudyInstanceUID={study}"]);
            Assert.That(get.StdOut, Does.Contain("received "), get.StdOut + get.StdErr);
        }
        AssertReceivedAsStored(BySopInstanceUid(got), stored);

        // C-MOVE of the knee's study to a storescp, by PixelMed's MoveSOPClassSCU.
        var moved = Path.Combine(server.Folder, "moved");
        Directory.CreateDirectory(moved);
        using (new DcmtkScp("storescp", ["-aet", "DEST", "-od", moved, destPort.ToString(CultureInfo.InvariantCulture)], destPort))
        {
            var move = PixelMed("com.pixelmed.network.MoveSOPClassSCU", [.. to, "DEST", "STUDY", Uid(Knee, DicomTags.StudyInstanceUID)]);
            Assert.That(move.StdOut + move.StdErr, Does.Contain("final status = 0x0"));
        }
        Assert.That(Directory.GetFiles(moved).Select(f => DicomFile.Open(f, DicomReadOptions.HeaderOnly).Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0', ' ')),
            Is.EqualTo(new[] { Uid(Knee, DicomTags.SOPInstanceUID) }));
    }

    /// <summary>
    /// Our C-MOVE sub-operations to PixelMed's storage SCP (<c>StorageSOPClassSCPDispatcher</c>, which takes native and
    /// deflated syntaxes): a deflated data set of odd length (padded as it goes), an odd-length value (re-encoded), a
    /// JPEG-LS image (decoded for it), an Enhanced MR and a 3D SR, each file it writes equal to ours.
    /// </summary>
    [Test]
    public void Our_C_MOVE_reaches_PixelMed_s_storage_SCP()
    {
        var port = ServerProcess.FreePort();
        using var server = new ServerProcess(null, "--peer", $"PMSCP@127.0.0.1:{port}");
        var received = Path.Combine(server.Folder, "pixelmed");
        Directory.CreateDirectory(received);
        string[] files = [Knee, OddLength, JpegLs, DeflatedOdd, Sr];
        var store = Tciapacs.Run(["store", "127.0.0.1", server.PortText, "--aec", server.Ae, .. files.Select(Corpus.PathOf)]);
        Assert.That(store.ExitCode, Is.Zero, store.StdErr);
        if (!File.Exists(Jar)) throw new InvalidOperationException($"{Jar} is missing: apt-get install -y libpixelmed-java (bash .ci/run does)");
        using (new DcmtkScp("java", ["-cp", Jar, "com.pixelmed.network.StorageSOPClassSCPDispatcher", port.ToString(CultureInfo.InvariantCulture), "PMSCP", received], port))
        {
            foreach (var study in files.Select(f => Uid(f, DicomTags.StudyInstanceUID)).Distinct())
            {
                var move = Tciapacs.Run("move", "127.0.0.1", server.PortText, "--aec", server.Ae, "--dest", "PMSCP", "--level", "STUDY", $"StudyInstanceUID={study}");
                Assert.That(move.StdOut, Does.Contain("status 0x0000").And.Contain("0 failed"), move.StdOut + move.StdErr);
            }
        }
        AssertReceivedAsStored(BySopInstanceUid(received), server.StoredFiles());
    }

    /// <summary>The driver's answers: "GGGGEEEE=value" lines, an empty line after each answer.</summary>
    private static List<Dictionary<string, string>> Answers(ExternalTool.Result find)
    {
        Assert.That(find.ExitCode, Is.Zero, find.StdOut + find.StdErr);
        var answers = new List<Dictionary<string, string>>();
        var current = new Dictionary<string, string>();
        foreach (var line in find.StdOut.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.Length == 0)
            {
                if (current.Count > 0) answers.Add(current);
                current = [];
            }
            else if (line.Length > 9 && line[8] == '=') current[line[..8]] = line[9..];
        }
        if (current.Count > 0) answers.Add(current);
        return answers;
    }
}
