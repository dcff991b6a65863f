using System.Globalization;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>Our SCU verbs (tciapacs echo, store, find, move, get) against dcmtk's storescp and dcmqrscp, and against our own server.</summary>
[NonParallelizable]
public sealed class ScuVerbTests
{
    private string _work = null!;
    private string _files = null!;
    private Dictionary<string, JsonArray> _originals = null!;

    [OneTimeSetUp]
    public void Generate()
    {
        _work = ServerProcess.TempFolder("scu");
        _files = Path.Combine(_work, "files");
        Directory.CreateDirectory(_files);
        _originals = GeneratedStudies.Write(_files, pixelBytes: 4096).ToDictionary(
            f => DicomFile.Open(f).Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0'), f => CanonicalTree.FromDataset(DicomFile.Open(f).Dataset));
    }

    [OneTimeTearDown]
    public void Clean() => Directory.Delete(_work, true);

    private string Folder(string name)
    {
        var f = Path.Combine(_work, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(f);
        return f;
    }

    /// <summary>Every file in <paramref name="folder"/> is one of the generated instances, unchanged; all of them are there.</summary>
    private void AssertAllEqual(string folder)
    {
        var files = Directory.GetFiles(folder);
        Assert.That(files, Has.Length.EqualTo(GeneratedStudies.Instances), string.Join(", ", files.Select(Path.GetFileName)));
        foreach (var f in files)
        {
            var ds = DicomFile.Open(f).Dataset;
            var uid = ds.GetString(DicomTags.SOPInstanceUID)!.Trim('\0');
            Assert.That(JsonNode.DeepEquals(CanonicalTree.FromDataset(ds), _originals[uid]), Is.True, f);
        }
    }

    private static DcmtkScp StoreScp(string folder, string ae = "DEST")
    {
        var port = ServerProcess.FreePort();
        return new DcmtkScp("storescp", ["-aet", ae, "+xa", "-od", folder, port.ToString(CultureInfo.InvariantCulture)], port);
    }

    [Test]
    public void Echo_and_store_to_dcmtk_storescp()
    {
        var received = Folder("storescp");
        using var scp = StoreScp(received);
        var echo = Tciapacs.Run("echo", "127.0.0.1", scp.PortText, "--aec", "DEST");
        Assert.That(echo.ExitCode, Is.Zero, echo.StdOut + echo.StdErr);
        Assert.That(echo.StdOut, Does.Contain("status 0x0000"));
        var store = Tciapacs.Run("store", "127.0.0.1", scp.PortText, _files, "--aec", "DEST");
        Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
        Assert.That(store.StdOut, Does.Contain($"{GeneratedStudies.Instances} sent, 0 failed"));
        Assert.That(store.StdErr, Does.Contain($"{GeneratedStudies.Instances}/{GeneratedStudies.Instances} files"), "progress line");
        AssertAllEqual(received);
    }

    /// <summary>
    /// <c>store --compress</c>: native images go in JPEG-LS Lossless to a peer that accepts it (dcmtk's storescp +xa),
    /// and dcmdjpls gives back the pixels sent; compressed data goes as it is; a peer that accepts only native syntaxes
    /// gets the originals; a lossy or unknown syntax is refused before anything is sent.
    /// </summary>
    [Test]
    public void Store_compresses_native_images_for_a_peer_that_accepts_JPEG_LS()
    {
        var input = Folder("input-compress");
        string[] sources = ["transfer-syntax/explicit-vr-le/CT_small.dcm", "transfer-syntax/explicit-vr-le/MR_small.dcm", "transfer-syntax/implicit-vr-le/CT1_UNC.implicit_little_endian.dcm",
            "transfer-syntax/jpeg-baseline/SC_rgb_dcmtk_+eb+cy+np.dcm"];
        foreach (var source in sources) File.Copy(Corpus.PathOf(source), Path.Combine(input, Path.GetFileName(source)));
        var originals = Directory.GetFiles(input).Select(f => DicomFile.Open(f)).ToDictionary(f => f.Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0'));

        var received = Folder("storescp-compressed");
        using (var scp = StoreScp(received))
        {
            var store = Tciapacs.Run("store", "127.0.0.1", scp.PortText, input, "--aec", "DEST", "--compress", "JPEGLSLossless");
            Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
            Assert.That(store.StdOut, Does.Contain("4 sent, 0 failed").And.Contain("3 sent in JPEG-LS Lossless"));
        }
        var decoded = Folder("dcmdjpls");
        foreach (var f in Directory.GetFiles(received))
        {
            var file = DicomFile.Open(f);
            var sop = file.Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0');
            var original = originals[sop];
            if (original.TransferSyntax.IsEncapsulated)
            {
                Assert.That(file.TransferSyntax, Is.EqualTo(original.TransferSyntax), "compressed data goes as it is");
                continue;
            }
            Assert.That(file.TransferSyntax, Is.EqualTo(TransferSyntax.JPEGLSLossless), sop);
            var back = Path.Combine(decoded, sop + ".dcm");
            var r = Tciapacs.Dcmtk("dcmdjpls", f, back);
            Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
            Assert.That(DicomFile.Open(back).Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(original.Dataset.GetBytes(DicomTags.PixelData).ToArray()), sop);
        }
        Assert.That(Directory.GetFiles(received), Has.Length.EqualTo(4));

        var nativeOnly = Folder("storescp-native");
        var port = ServerProcess.FreePort();
        using (new DcmtkScp("storescp", ["-aet", "DEST", "-od", nativeOnly, port.ToString(CultureInfo.InvariantCulture)], port))
        {
            var store = Tciapacs.Run("store", "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), input, "--aec", "DEST", "--compress", "JPEGLSLossless");
            Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
            Assert.That(store.StdOut, Does.Contain("0 sent in JPEG-LS Lossless"));
        }
        Assert.That(Directory.GetFiles(nativeOnly).Select(f => DicomFile.Open(f).TransferSyntax.IsEncapsulated), Is.All.False, "native syntaxes only (the JPEG file decoded)");

        var refused = Tciapacs.Run("store", "127.0.0.1", "1", input, "--compress", "JPEGBaseline8Bit");
        Assert.That(refused.ExitCode, Is.EqualTo(2));
        Assert.That(refused.StdErr, Does.StartWith("error: --compress: 'JPEGBaseline8Bit'"));
    }

    [Test]
    public void Store_reencodes_for_an_implicit_VR_only_peer_and_reports_an_unreadable_file_without_stopping()
    {
        // Every file must be parsed and re-encoded (storescp +xi accepts implicit VR only), and the next file is read
        // ahead while the peer stores the one before: a file that fails in that read-ahead is its own failure, and
        // the files after it still go, on the same association.
        var input = Folder("input-truncated");
        foreach (var f in Directory.GetFiles(_files)) File.Copy(f, Path.Combine(input, Path.GetFileName(f)));
        var inputs = Directory.GetFiles(input).Order(StringComparer.Ordinal).ToList();
        var victim = inputs[3];
        var victimUid = DicomFile.Open(victim).Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0');
        using (var fs = new FileStream(victim, FileMode.Open)) fs.SetLength(fs.Length - 1000); // inside the pixel data
        var received = Folder("storescp-implicit");
        var port = ServerProcess.FreePort();
        using var scp = new DcmtkScp("storescp", ["-aet", "DEST", "+xi", "-od", received, port.ToString(CultureInfo.InvariantCulture)], port);

        var store = Tciapacs.Run("store", "127.0.0.1", scp.PortText, input, "--aec", "DEST");

        Assert.That(store.ExitCode, Is.EqualTo(1), store.StdOut + store.StdErr);
        Assert.That(store.StdOut, Does.Contain($"{inputs.Count - 1} sent, 1 failed of {inputs.Count} files"), store.StdOut + store.StdErr);
        Assert.That(store.StdOut, Does.Contain($"failed: {victim}"));
        var got = Directory.GetFiles(received).Select(f => DicomFile.Open(f)).ToList();
        Assert.That(got.Select(f => f.TransferSyntax.Uid).Distinct(), Is.EqualTo(new[] { TransferSyntax.ImplicitVRLittleEndian.Uid }));
        Assert.That(got.Select(f => f.Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0')), Is.EquivalentTo(_originals.Keys.Where(k => k != victimUid)));
    }

    [Test]
    public void A_large_instance_is_reencoded_for_an_implicit_VR_only_move_destination_and_arrives_whole()
    {
        // 24 MB of pixel data each, far more than the sockets buffer. serve runs socket completions inline (its default), so
        // the sub-operation starts on the I/O thread that read the association's last PDU; the re-encoding writer is
        // synchronous, and its blocked socket writes there would wait for that very thread and never finish.
        var input = Folder("large-in");
        var originals = new Dictionary<string, JsonNode>();
        // Two instances: the first sub-operation starts on the C-MOVE handler's thread, the second on the I/O thread.
        for (var i = 1; i <= 2; i++)
        {
            var ds = new DicomDataset();
            ds.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, "1.2.840.10008.5.1.4.1.1.7");
            ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, $"1.2.826.0.1.3680043.10.544.78.1.1.{i}");
            ds.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, "1.2.826.0.1.3680043.10.544.78.1");
            ds.AddOrUpdate(DicomTags.SeriesInstanceUID, VR.UI, "1.2.826.0.1.3680043.10.544.78.1.1");
            ds.AddOrUpdate(DicomTags.PatientID, VR.LO, "LARGE");
            ds.AddOrUpdate(DicomTags.Modality, VR.CS, "OT");
            ds.AddOrUpdate(DicomTags.InstanceNumber, VR.IS, i.ToString(CultureInfo.InvariantCulture));
            ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)2048);
            ds.AddOrUpdate(DicomTags.Columns, VR.US, (ushort)6144);
            ds.AddOrUpdate(DicomTags.BitsAllocated, VR.US, (ushort)16);
            var pixels = new byte[2048 * 6144 * 2];
            new Random(78 + i).NextBytes(pixels);
            ds.AddOrUpdate(DicomTags.PixelData, VR.OW, pixels);
            var path = Path.Combine(input, $"large{i}.dcm");
            new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).Save(path);
            originals[$"1.2.826.0.1.3680043.10.544.78.1.1.{i}"] = CanonicalTree.FromDataset(DicomFile.Open(path).Dataset);
        }
        var moved = Folder("large-moved");
        var port = ServerProcess.FreePort();
        using var dest = new DcmtkScp("storescp", ["-aet", "DEST", "+xi", "-od", moved, port.ToString(CultureInfo.InvariantCulture)], port);
        using var server = new ServerProcess(null, "--peer", $"DEST@127.0.0.1:{dest.Port}");
        Assert.That(server.Log, Does.Contain("Socket completions inline on the I/O threads: true"));
        var store = Tciapacs.Run("store", "127.0.0.1", server.PortText, input, "--aec", server.Ae);
        Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);

        var move = ExternalTool.Run("dotnet", [Tciapacs.Dll, "move", "127.0.0.1", server.PortText, "--aec", server.Ae, "--dest", "DEST",
            "StudyInstanceUID=1.2.826.0.1.3680043.10.544.78.1"], TimeSpan.FromSeconds(90));

        Assert.That(move.StdOut, Does.Contain("status 0x0000: 2 completed, 0 failed"), move.StdOut + move.StdErr + server.Log);
        var received = Directory.GetFiles(moved);
        Assert.That(received, Has.Length.EqualTo(2));
        foreach (var f in received)
        {
            var got = DicomFile.Open(f);
            Assert.That(got.TransferSyntax.Uid, Is.EqualTo(TransferSyntax.ImplicitVRLittleEndian.Uid));
            Assert.That(JsonNode.DeepEquals(CanonicalTree.FromDataset(got.Dataset), originals[got.Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0')]), Is.True, f);
        }
    }

    [Test]
    public void Store_find_get_and_move_against_dcmtk_dcmqrscp()
    {
        var db = Folder("qrdb");
        var moved = Folder("moved");
        using var dest = StoreScp(moved);
        var port = ServerProcess.FreePort();
        var config = Path.Combine(_work, "dcmqrscp.cfg");
        File.WriteAllText(config, $"""
            NetworkTCPPort = {port}
            MaxPDUSize = 16384
            MaxAssociations = 16
            HostTable BEGIN
            dest = (DEST, 127.0.0.1, {dest.Port})
            HostTable END
            VendorTable BEGIN
            VendorTable END
            AETable BEGIN
            QRSCP {db} RW (100, 1024mb) ANY
            AETable END
            """);
        using var qr = new DcmtkScp("dcmqrscp", ["-c", config], port);
        var p = port.ToString(CultureInfo.InvariantCulture);
        var store = Tciapacs.Run("store", "127.0.0.1", p, _files, "--aec", "QRSCP");
        Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
        var find = Tciapacs.Run("find", "127.0.0.1", p, "--aec", "QRSCP", "--level", "STUDY", "StudyInstanceUID", "PatientName", "--relational");
        Assert.That(find.ExitCode, Is.Zero, find.StdOut + find.StdErr);
        Assert.That(find.StdOut, Does.Contain($"{GeneratedStudies.Studies} match(es), status 0x0000").And.Contain("Doe^John"));
        Assert.That(find.StdErr, Does.Contain("QRSCP declined relational queries"), "dcmqrscp answers no extended negotiation");
        var got = Folder("got");
        foreach (var st in Enumerable.Range(0, GeneratedStudies.Studies))
        {
            var get = Tciapacs.Run("get", "127.0.0.1", p, "--aec", "QRSCP", "--out", got, $"StudyInstanceUID={GeneratedStudies.StudyUid(st)}");
            Assert.That(get.ExitCode, Is.Zero, get.StdOut + get.StdErr);
            var move = Tciapacs.Run("move", "127.0.0.1", p, "--aec", "QRSCP", "--dest", "DEST", $"StudyInstanceUID={GeneratedStudies.StudyUid(st)}");
            Assert.That(move.ExitCode, Is.Zero, move.StdOut + move.StdErr);
            Assert.That(move.StdOut, Does.Contain("status 0x0000: 4 completed, 0 failed"));
        }
        AssertAllEqual(got);
        AssertAllEqual(moved);
    }

    [Test]
    public void Store_get_and_move_against_our_own_server()
    {
        var moved = Folder("moved-own");
        using var dest = StoreScp(moved);
        using var server = new ServerProcess(null, "--peer", $"DEST@127.0.0.1:{dest.Port}");
        var store = Tciapacs.Run("store", "127.0.0.1", server.PortText, _files, "--aec", server.Ae);
        Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
        var got = Folder("got-own");
        var get = Tciapacs.Run("get", "127.0.0.1", server.PortText, "--aec", server.Ae, "--root", "patient", "--level", "PATIENT", "--out", got, "PatientID=P1");
        Assert.That(get.ExitCode, Is.Zero, get.StdOut + get.StdErr);
        Assert.That(get.StdOut, Does.Contain("8 completed, 0 failed"));
        var get2 = Tciapacs.Run("get", "127.0.0.1", server.PortText, "--aec", server.Ae, "--out", got, $"StudyInstanceUID={GeneratedStudies.StudyUid(2)}");
        Assert.That(get2.ExitCode, Is.Zero, get2.StdOut + get2.StdErr);
        AssertAllEqual(got);
        var move = Tciapacs.Run("move", "127.0.0.1", server.PortText, "--aec", server.Ae, "--dest", "DEST", "--level", "SERIES",
            $"StudyInstanceUID={GeneratedStudies.StudyUid(0)}", $"SeriesInstanceUID={GeneratedStudies.SeriesUid(0, 0)}");
        Assert.That(move.StdOut, Does.Contain("status 0x0000: 2 completed, 0 failed"), move.StdOut + move.StdErr);
        // Relational retrieval (PS3.4 C.4.2.2.2): a series by its UID alone, no study named.
        var gotRelational = Folder("got-relational");
        var relational = Tciapacs.Run("get", "127.0.0.1", server.PortText, "--aec", server.Ae, "--level", "SERIES", "--relational", "--out", gotRelational,
            $"SeriesInstanceUID={GeneratedStudies.SeriesUid(1, 1)}");
        Assert.That(relational.ExitCode, Is.Zero, relational.StdOut + relational.StdErr);
        Assert.That(relational.StdErr, Does.Not.Contain("declined"));
        Assert.That(relational.StdOut, Does.Contain("2 completed, 0 failed"));
        Assert.That(Directory.GetFiles(gotRelational), Has.Length.EqualTo(2));
        var unknown = Tciapacs.Run("move", "127.0.0.1", server.PortText, "--aec", server.Ae, "--dest", "NOWHERE", $"StudyInstanceUID={GeneratedStudies.StudyUid(0)}");
        Assert.That(unknown.ExitCode, Is.EqualTo(1));
        Assert.That(unknown.StdOut, Does.Contain("status 0xA801"), "Move Destination unknown (PS3.4 C.4.2.1.5)");
        var rejected = Tciapacs.Run("echo", "127.0.0.1", server.PortText, "--aec", "SOMEONE-ELSE");
        Assert.That(rejected.ExitCode, Is.EqualTo(1));
        Assert.That(rejected.StdErr, Does.Contain("called AE title not recognized"));
    }
}
