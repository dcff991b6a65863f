using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;
using static TciaPacs.Dimse.Interop.Tests.PeerFiles;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Two DICOM network stacks that share no code with dcmtk, Orthanc or ours, both from Debian: the RSNA Central Test
/// Node (CTN, Mallinckrodt, last released 2003: an old and strict peer), whose send_image stores and whose
/// simple_storage receives our C-MOVE sub-operations; and Odil (C++11, its own upper layer), whose command line echoes,
/// stores, finds on both roots and retrieves by C-GET.
/// </summary>
[TestFixture]
public sealed partial class IndependentPeerTests
{

    /// <summary>CTN knows the SOP classes of its day: these (CT, MR, Enhanced MR, secondary capture, US) it sends.</summary>
    private static readonly string[] CtnSends = [Knee, Mr, Ct, French, BigEndian, "transfer-syntax/implicit-vr-le/CT1_UNC.implicit_little_endian.dcm"];

    [Test]
    public void Ctn_echoes_and_sends_images_that_are_stored_as_sent()
    {
        using var server = new ServerProcess();
        var echo = ExternalTool.Run(ExternalTool.Require("dicom_echo"), ["-a", "CTN", "-c", server.Ae, "127.0.0.1", server.PortText]);
        Assert.That(echo.ExitCode, Is.Zero, echo.StdOut + echo.StdErr);
        Assert.That(echo.StdOut, Does.Contain("Successful operation"));

        var files = CtnSends;
        var send = ExternalTool.Run(ExternalTool.Require("send_image"), ["-a", "CTN", "-c", server.Ae, "-r", "127.0.0.1", server.PortText, .. files.Select(Corpus.PathOf)]);
        Assert.That(send.ExitCode, Is.Zero, send.StdOut + send.StdErr);
        Assert.That(send.StdOut, Does.Not.Contain("Abnormal exit"));

        // CTN re-encodes what it sends in the syntax it negotiated (often Implicit VR Little Endian): values compared.
        AssertStoredAsSent(server.StoredFiles(), files);
        Assert.That(server.Log, Does.Contain("implementation MIRCTN11MAR2003"));
    }

    [Test]
    public void Our_C_MOVE_reaches_CTN_s_storage_SCP()
    {
        var ctnPort = ServerProcess.FreePort();
        using var server = new ServerProcess(null, "--peer", $"CTNSCP@127.0.0.1:{ctnPort}");
        var received = Path.Combine(server.Folder, "ctn");
        Directory.CreateDirectory(received);
        // -f: a process per association, as CTN's threads are not built in Debian's package. Not probed by a bare
        // connection, which makes it stop listening.
        using var ctn = new DcmtkScp("simple_storage", ["-c", "CTNSCP", "-x", received, "-s", "-f", ctnPort.ToString(CultureInfo.InvariantCulture)], ctnPort, probe: false);
        // Classes of CTN's day (CT, MR, Enhanced MR, secondary capture, DX); a Comprehensive 3D SR (2016) it does not
        // accept: that sub-operation fails, named in the final response.
        string[] files = [Knee, Ct, BigEndian, French, OddLength];
        var store = Tciapacs.Run(["store", "127.0.0.1", server.PortText, "--aec", server.Ae, .. files.Select(Corpus.PathOf), Corpus.PathOf(Sr)]);
        Assert.That(store.ExitCode, Is.Zero, store.StdErr);
        var stored = server.StoredFiles();
        // The CT's study also holds the SR: the CT goes, the SR's sub-operation fails, and the final status says both
        // (B000, the SR's UID in the Failed SOP Instance UID List).
        var sharedStudy = Uid(Sr, DicomTags.StudyInstanceUID);
        Assert.That(Uid(Ct, DicomTags.StudyInstanceUID), Is.EqualTo(sharedStudy));
        foreach (var study in files.Select(f => Uid(f, DicomTags.StudyInstanceUID)).Distinct())
        {
            var move = Tciapacs.Run("move", "127.0.0.1", server.PortText, "--aec", server.Ae, "--dest", "CTNSCP", "--level", "STUDY", $"StudyInstanceUID={study}");
            var output = move.StdOut + move.StdErr;
            if (study != sharedStudy)
            {
                Assert.That(move.ExitCode, Is.Zero, output + server.Log);
                Assert.That(output, Does.Contain("0 failed"));
                continue;
            }
            Assert.That(output, Does.Contain("status 0xB000: 1 completed, 1 failed").And.Contain(Uid(Sr, DicomTags.SOPInstanceUID)), output + server.Log);
            Assert.That(server.Log, Does.Contain($"no accepted presentation context for {Uid(Sr, DicomTags.SOPInstanceUID)}"));
        }
        stored.Remove(Uid(Sr, DicomTags.SOPInstanceUID));
        AssertReceivedAsStored(BySopInstanceUid(received), stored);
    }

    [Test]
    public void Odil_echoes_stores_finds_on_both_roots_and_gets()
    {
        using var server = new ServerProcess();
        string[] to = ["127.0.0.1", server.PortText, "ODIL", server.Ae];
        Assert.That(Odil(["echo", .. to]).ExitCode, Is.Zero);

        // Odil cannot read a deflated file: not among these.
        string[] files = [Knee, Mr, Ct, French, BigEndian, OddLength];
        var store = Odil(["store", .. to, .. files.Select(Corpus.PathOf)]);
        Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
        Assert.That(server.StoredFiles().Keys, Is.EquivalentTo(files.Select(f => Uid(f, DicomTags.SOPInstanceUID))));
        // Odil 0.12 sends a compressed file's data set as it is under the Explicit VR Little Endian it negotiated: the
        // encapsulated pixel data contradicts the syntax, and we refuse it with the reason (Odil ignores the status).
        Assert.That(Odil(["store", .. to, Corpus.PathOf(JpegLs)]).ExitCode, Is.Zero);
        Assert.That(server.WaitForLog("Pixel Data (7FE0,0010) is encapsulated, but its transfer syntax Explicit VR Little Endian is native"), Is.True, server.Log);
        Assert.That(server.StoredFiles(), Has.Count.EqualTo(files.Length), "nothing of the refused instance is kept");
        // Sent properly by storescu, the compressed ones go to Odil decoded (it proposes native syntaxes only).
        foreach (var (file, flag) in new[] { (JpegLs, "-xu"), (Rle, "-xr") })
            Assert.That(Tciapacs.Dcmtk("storescu", flag, "-aec", server.Ae, "127.0.0.1", server.PortText, Corpus.PathOf(file)).ExitCode, Is.Zero);
        files = [.. files, JpegLs, Rle];

        // Patient Root at PATIENT level, Study Root at STUDY, SERIES and IMAGE levels.
        var patients = Values(Odil(["find", .. to, "patient", "QueryRetrieveLevel=PATIENT", "PatientID", "PatientName"]), "0010,0020");
        Assert.That(patients.Where(p => p.Length > 0), Is.EquivalentTo(files.Select(f => Uid(f, DicomTags.PatientID)).Where(p => p.Length > 0).Distinct()));
        var studies = Values(Odil(["find", .. to, "study", "QueryRetrieveLevel=STUDY", "PatientName=Buc^J*", "StudyInstanceUID"]), "0020,000d");
        Assert.That(studies, Is.EqualTo(new[] { Uid(French, DicomTags.StudyInstanceUID) }));
        var series = Values(Odil(["find", .. to, "study", "QueryRetrieveLevel=SERIES", $"StudyInstanceUID={Uid(Ct, DicomTags.StudyInstanceUID)}", "SeriesInstanceUID", "Modality"]), "0020,000e");
        Assert.That(series, Is.EqualTo(new[] { Uid(Ct, DicomTags.SeriesInstanceUID) }));
        var images = Values(Odil(["find", .. to, "study", "QueryRetrieveLevel=IMAGE", $"SeriesInstanceUID={Uid(Knee, DicomTags.SeriesInstanceUID)}", "SOPInstanceUID"]), "0008,0018");
        Assert.That(images, Is.EqualTo(new[] { Uid(Knee, DicomTags.SOPInstanceUID) }));

        // C-GET of every study (the odd-length Pixel Data goes padded: Odil's reader is strict about it too).
        var got = Path.Combine(server.Folder, "got");
        Directory.CreateDirectory(got);
        foreach (var study in files.Select(f => Uid(f, DicomTags.StudyInstanceUID)).Distinct())
        {
            var get = Odil(["get", "-d", got, "-l", "flat", .. to, "study", "QueryRetrieveLevel=STUDY", $"StudyInstanceUID={study}"]);
            Assert.That(get.ExitCode, Is.Zero, get.StdOut + get.StdErr);
            Assert.That(get.StdOut, Does.Contain("failed: 0"));
        }
        var stored = server.StoredFiles();
        AssertReceivedAsStored(BySopInstanceUid(got), stored);
    }

    private static ExternalTool.Result Odil(string[] args) => ExternalTool.Run(ExternalTool.Require("odil"), args, TimeSpan.FromMinutes(2));

    /// <summary>The values Odil printed for a tag ("Patient ID  0010,0020 LO ['X']"), one per answer.</summary>
    private static List<string> Values(ExternalTool.Result find, string tag)
    {
        Assert.That(find.ExitCode, Is.Zero, find.StdOut + find.StdErr);
        return find.StdOut.Split('\n').Where(l => l.Contains(" " + tag + " ", StringComparison.Ordinal))
            .Select(l => OdilValue().Match(l) is { Success: true } m ? m.Groups[1].Value : "").ToList();
    }

    [GeneratedRegex(@"\['([^']*)'")]
    private static partial Regex OdilValue();
}
