using System.Globalization;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Composite Instance Root Retrieve (PS3.4 Annex Y) and Composite Instance Retrieve Without Bulk Data (Annex Z)
/// through the real server, driven by dcmjs-dimse (dcmtk's getscu and movescu cannot name these SOP classes): frames
/// come back as a new instance holding exactly the source's frames asked for, instances by their SOP Instance UID
/// alone, instances without bulk data, and every malformed request gets its status. dcmjs-dimse also runs the usual
/// Study Root echo, store, find, get and move against the server, as a second client beside dcmtk's.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CompositeInstanceRetrieveTests
{
    private const string RootGet = "1.2.840.10008.5.1.4.1.2.4.3";
    private const string RootMove = "1.2.840.10008.5.1.4.1.2.4.2";
    private const string WithoutBulkDataGet = "1.2.840.10008.5.1.4.1.2.5.3";

    private static readonly string[] Stored =
    [
        "modality/MR/explicit_little_16frames.dcm", "modality/US/US-PAL-8-10x-echo", "large/MOVEKNEE.dcm", "modality/NM/NM-MONO2-16-13x-heart",
        "modality/RT/rtdose.dcm", "encapsulated/CT0012.not_fragmented_bot_jpeg_ls.80.dcm", "modality/SEG/liver.dcm", "modality/SM/sm_image.dcm",
        "modality/CT/ct_image.dcm", "modality/MR/MR-SIEMENS-DICOM-WithOverlays.dcm", "modality/ECG/waveform_ecg.dcm", "modality/PM/parametric_map_float.dcm",
        "transfer-syntax/jpeg-baseline/JPEGwithIcon.dcm",
    ];

    private ServerProcess _server = null!;
    private int _destinationPort;
    private string _work = null!;
    // A fixed UID, since the test cases that name it are made before the fixture's set-up.
    private const string UnplacedSlide = "2.25.190412387712003400299137110498122516561";

    [OneTimeSetUp]
    public void StoreTheSources()
    {
        _work = ServerProcess.TempFolder("cirr");
        _destinationPort = ServerProcess.FreePort();
        // OTHER is the called AE of another collection, which sees none of the instances stored through TCIAPACS.
        _server = new ServerProcess("""{ "Dimse": { "CalledAeCollections": { "OTHER": "other" } } }""", "--peer", $"JSSCP@127.0.0.1:{_destinationPort}");
        // A TILED_FULL slide that does not say where its tiles lie: sm_image.dcm without its Total Pixel Matrix Origin.
        var slide = DicomFile.Open(Corpus.PathOf("modality/SM/sm_image.dcm"));
        var unplaced = slide.Dataset.Clone();
        unplaced.Remove(DicomTags.TotalPixelMatrixOriginSequence);
        unplaced.AddOrUpdate(DicomTags.SOPInstanceUID, UnplacedSlide);
        var unplacedPath = Path.Combine(_work, "unplaced-slide.dcm");
        new DicomFile(DicomWriter.BuildMeta(slide.Meta, unplaced, slide.TransferSyntax), unplaced, slide.TransferSyntax).Save(unplacedPath);
        var store = Tciapacs.Run(["store", "127.0.0.1", _server.PortText, .. Stored.Select(Corpus.PathOf), unplacedPath, "--aec", _server.Ae]);
        Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
    }

    [OneTimeTearDown]
    public void StopTheServer()
    {
        _server.Dispose();
        Directory.Delete(_work, recursive: true);
    }

    private static string UidOf(string relative) => DicomFile.Open(Corpus.PathOf(relative)).Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0', ' ');

    private JsonObject Run(string op, string sopClass, object identifier, out string folder)
    {
        folder = Path.Combine(_work, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        object operation = op == "move"
            ? new { op, host = "127.0.0.1", port = _server.Port, calledAe = _server.Ae, sopClass, identifier, @out = folder, destination = new { ae = "JSSCP", port = _destinationPort } }
            : new { op, host = "127.0.0.1", port = _server.Port, calledAe = _server.Ae, sopClass, identifier, @out = folder };
        var report = DcmjsDimse.Run(operation);
        Assert.That(report["error"], Is.Null, report.ToJsonString());
        return report;
    }

    /// <summary>The native bytes of each frame of a file, decoding it first when it is compressed.</summary>
    private static List<byte[]> NativeFrames(DicomFile file)
    {
        if (file.TransferSyntax.IsEncapsulated) file = new DicomTranscoder().Transcode(file, TransferSyntax.ExplicitVRLittleEndian);
        var info = PixelDataInfo.FromDataset(file.Dataset);
        var bytes = file.Dataset.Get(DicomTags.PixelData)!.Buffer.GetBytes();
        var size = (int)info.NativeFrameSize;
        return Enumerable.Range(0, info.NumberOfFrames).Select(i => bytes.Slice(i * size, size).ToArray()).ToList();
    }

    public static IEnumerable<TestCaseData> FrameRequests()
    {
        TestCaseData Case(string file, string key, object value, int[] frames, string name) =>
            new TestCaseData(file, key, value, frames).SetName(name);
        yield return Case("modality/MR/explicit_little_16frames.dcm", "SimpleFrameList", new[] { 2, 5, 9 }, [2, 5, 9], "Frames 2, 5 and 9 of a native MR by a simple list");
        yield return Case("modality/MR/explicit_little_16frames.dcm", "TimeRange", new[] { 0.1, 0.3 }, [3, 4, 5], "The frames of 0.1 to 0.3 s of a cine by a time range");
        yield return Case("modality/US/US-PAL-8-10x-echo", "CalculatedFrameList", new[] { 2, 10, 3 }, [2, 5, 8], "Every third frame of an RLE ultrasound by a calculated list");
        yield return Case("large/MOVEKNEE.dcm", "SimpleFrameList", new[] { 1, 19 }, [1, 19], "The first and last frames of an enhanced MR with their functional groups");
        yield return Case("modality/NM/NM-MONO2-16-13x-heart", "CalculatedFrameList", new[] { 4, 6, 1 }, [4, 5, 6], "Three frames of a nuclear medicine image with its frame vectors");
        yield return Case("modality/RT/rtdose.dcm", "CalculatedFrameList", new long[] { 3, 0xFFFFFFFF, 4 }, [3, 7, 11, 15], "Every fourth plane of a dose grid to the last");
        yield return Case("encapsulated/CT0012.not_fragmented_bot_jpeg_ls.80.dcm", "SimpleFrameList", new[] { 2 }, [2], "A JPEG-LS frame, decoded for a requestor that takes native syntaxes only");
        yield return Case("modality/SEG/liver.dcm", "SimpleFrameList", new[] { 1, 3 }, [1, 3], "Two frames of a binary segmentation");
        yield return Case("modality/SM/sm_image.dcm", "CalculatedFrameList", new[] { 6, 10, 1 }, [6, 7, 8, 9, 10], "The second row of tiles of a TILED_FULL slide, placed explicitly");
    }

    [TestCaseSource(nameof(FrameRequests))]
    public void Frame_level_C_GET_gives_a_new_instance_of_the_frames_asked_for(string relative, string key, object value, int[] frames)
    {
        var sourceUid = UidOf(relative);
        var report = Run("get", RootGet, new Dictionary<string, object> { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = sourceUid, [key] = value }, out _);
        Assert.That(DcmjsDimse.Status(report), Is.Zero, report.ToJsonString());
        Assert.That((int)DcmjsDimse.Final(report)["completed"]!, Is.EqualTo(1));
        var received = report["received"]!.AsArray();
        Assert.That(received, Has.Count.EqualTo(1));
        CheckExtracted(relative, (string)received[0]!["file"]!, key, frames);
        // An instance made (and decoded) for the requestor leaves no file behind.
        var spool = Path.Combine(_server.Data, "tmp", "dimse");
        Assert.That(Directory.Exists(spool) ? Directory.GetFiles(spool, "*.part") : [], Is.Empty, "temporary files of the retrieve");
    }

    [Test]
    public void Frame_level_C_MOVE_sends_the_new_instance_to_the_destination()
    {
        var relative = "large/MOVEKNEE.dcm";
        var report = Run("move", RootMove, new Dictionary<string, object> { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = UidOf(relative), ["SimpleFrameList"] = new[] { 5, 6, 7 } }, out _);
        Assert.That(DcmjsDimse.Status(report), Is.Zero, report.ToJsonString());
        var received = report["received"]!.AsArray();
        Assert.That(received, Has.Count.EqualTo(1));
        CheckExtracted(relative, (string)received[0]!["file"]!, "SimpleFrameList", [5, 6, 7]);
    }

    private static void CheckExtracted(string relative, string receivedPath, string key, int[] frames)
    {
        var source = DicomFile.Open(Corpus.PathOf(relative));
        var made = DicomFile.Open(receivedPath);
        var s = source.Dataset;
        var m = made.Dataset;
        Assert.Multiple(() =>
        {
            Assert.That(m.GetString(DicomTags.SOPInstanceUID), Is.Not.EqualTo(s.GetString(DicomTags.SOPInstanceUID)), "a new SOP Instance UID (PS3.4 Y.3.3)");
            foreach (var same in new[] { DicomTags.SOPClassUID, DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID, DicomTags.PatientID })
                Assert.That(m.GetString(same)?.Trim('\0', ' '), Is.EqualTo(s.GetString(same)?.Trim('\0', ' ')), same.ToString());
            Assert.That(PixelDataInfo.ReadNumberOfFrames(m), Is.EqualTo(frames.Length), "Number of Frames");
            var extraction = m.GetSequence(DicomTags.FrameExtractionSequence)?.Items.LastOrDefault();
            Assert.That(extraction?.GetString(DicomTags.MultiFrameSourceSOPInstanceUID), Is.EqualTo(s.GetString(DicomTags.SOPInstanceUID)), "Frame Extraction Sequence names the source");
            Assert.That(extraction?.Select(e => e.Tag), Does.Contain(DicomDictionaryTag(key)), "and the key of the request");
            var equipment = m.GetSequence(DicomTags.ContributingEquipmentSequence)?.Items.LastOrDefault();
            Assert.That(equipment?.GetSequence(DicomTags.PurposeOfReferenceCodeSequence)?.Items[0].GetString(DicomTags.CodeValue), Is.EqualTo("109105"), "Frame Extracting Equipment");
            if (s.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence) is { } perFrame)
                Assert.That(m.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence)?.Items, Has.Count.EqualTo(frames.Length), $"one functional group item per frame of {perFrame.Items.Count}");
            if (s.GetString(DicomTags.DimensionOrganizationType) == "TILED_FULL")
            {
                // Tiles of the slide's second row (5 tiles of 10 × 10 pixels across): they start at row 11.
                Assert.That(m.GetString(DicomTags.DimensionOrganizationType), Is.EqualTo("TILED_SPARSE"), "a subset of tiles is TILED_SPARSE");
                var positions = m.GetSequence(DicomTags.PerFrameFunctionalGroupsSequence)!.Items
                    .Select(i => i.GetSequence(DicomTags.PlanePositionSlideSequence)!.Items[0]).ToList();
                Assert.That(positions.Select(p => p.GetInts(DicomTags.RowPositionInTotalImagePixelMatrix)[0]), Is.All.EqualTo(11), "each tile's row");
                Assert.That(positions.Select(p => p.GetInts(DicomTags.ColumnPositionInTotalImagePixelMatrix)[0]), Is.EqualTo(new long[] { 1, 11, 21, 31, 41 }), "each tile's column");
            }
            if (s.Get(DicomTags.FrameIncrementPointer) is { } pointer)
                foreach (var vector in DicomDataset.GetTags(pointer).Where(t => t != DicomTags.FrameTime && s.GetValueMultiplicity(s.Get(t)!) == PixelDataInfo.ReadNumberOfFrames(s)))
                    Assert.That(m.GetValueMultiplicity(m.Get(vector)!), Is.EqualTo(frames.Length), $"{vector}, named by the Frame Increment Pointer, has a value per frame kept");
        });
        var before = NativeFrames(source);
        var after = NativeFrames(made);
        Assert.That(after, Has.Count.EqualTo(frames.Length));
        for (var i = 0; i < frames.Length; i++)
            Assert.That(after[i], Is.EqualTo(before[frames[i] - 1]), $"frame {i + 1} of the new instance is frame {frames[i]} of the source");
    }

    private static DicomTag DicomDictionaryTag(string keyword) => keyword switch
    {
        "SimpleFrameList" => DicomTags.SimpleFrameList,
        "CalculatedFrameList" => DicomTags.CalculatedFrameList,
        _ => DicomTags.TimeRange,
    };

    [TestCase("get")]
    [TestCase("move")]
    public void Instances_are_retrieved_by_their_SOP_Instance_UID_alone(string op)
    {
        string[] files = ["modality/CT/ct_image.dcm", "modality/RT/rtdose.dcm"];
        var uids = files.Select(UidOf).Append("1.2.3.4.5.6.7.8.9.unknown").ToArray();
        var report = Run(op, op == "get" ? RootGet : RootMove, new Dictionary<string, object> { ["QueryRetrieveLevel"] = "IMAGE", ["SOPInstanceUID"] = uids }, out _);
        Assert.That(DcmjsDimse.Status(report), Is.Zero, report.ToJsonString());
        Assert.That((int)DcmjsDimse.Final(report)["completed"]!, Is.EqualTo(2), "an unknown UID matches nothing");
        var received = report["received"]!.AsArray().ToDictionary(r => (string)r!["sopInstanceUid"]!, r => (string)r!["file"]!);
        Assert.That(received.Keys, Is.EquivalentTo(uids.Take(2)));
        foreach (var file in files)
            Assert.That(NativeFrames(DicomFile.Open(received[UidOf(file)])), Is.EqualTo(NativeFrames(DicomFile.Open(Corpus.PathOf(file)))), file);
    }

    [TestCase(RootGet)]
    [TestCase(WithoutBulkDataGet)]
    public void A_called_AE_of_another_collection_reaches_none_of_these_instances(string sopClass)
    {
        const string relative = "modality/MR/explicit_little_16frames.dcm";
        var identifier = new Dictionary<string, object> { ["QueryRetrieveLevel"] = "IMAGE", ["SOPInstanceUID"] = UidOf(relative) };
        var folder = Path.Combine(_work, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var other = DcmjsDimse.Run(new { op = "get", host = "127.0.0.1", port = _server.Port, calledAe = "OTHER", sopClass, identifier, @out = folder });
        Assert.That(DcmjsDimse.Status(other), Is.Zero, other.ToJsonString());
        Assert.That((int)DcmjsDimse.Final(other)["completed"]!, Is.Zero, "the instance is in another collection");
        Assert.That(other["received"]!.AsArray(), Is.Empty);
        var frames = DcmjsDimse.Run(new
        {
            op = "get", host = "127.0.0.1", port = _server.Port, calledAe = "OTHER", sopClass = RootGet, @out = folder,
            identifier = new Dictionary<string, object> { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = UidOf(relative), ["SimpleFrameList"] = new[] { 1 } },
        });
        Assert.That(frames["received"]!.AsArray(), Is.Empty, "nor its frames: " + frames.ToJsonString());
        Assert.That((int)DcmjsDimse.Final(Run("get", sopClass, identifier, out _))["completed"]!, Is.EqualTo(1), "through our own AE title it is there");
    }

    [TestCase("modality/MR/MR-SIEMENS-DICOM-WithOverlays.dcm", TestName = "Without bulk data: an MR loses its pixels and overlay but keeps its icon")]
    [TestCase("modality/ECG/waveform_ecg.dcm", TestName = "Without bulk data: an ECG keeps its waveform descriptions without their samples")]
    [TestCase("modality/PM/parametric_map_float.dcm", TestName = "Without bulk data: a parametric map loses its float pixel data")]
    [TestCase("transfer-syntax/jpeg-baseline/JPEGwithIcon.dcm", TestName = "Without bulk data: a JPEG image goes in a native syntax without a decoder")]
    public void Without_bulk_data(string relative)
    {
        var report = Run("get", WithoutBulkDataGet, new Dictionary<string, object> { ["QueryRetrieveLevel"] = "IMAGE", ["SOPInstanceUID"] = UidOf(relative) }, out _);
        Assert.That(DcmjsDimse.Status(report), Is.Zero, report.ToJsonString());
        var received = report["received"]!.AsArray();
        Assert.That(received, Has.Count.EqualTo(1));
        Assert.That((string)received[0]!["sopInstanceUid"]!, Is.EqualTo(UidOf(relative)), "the same instance (PS3.4 Z.4.2.3.1)");
        Assert.That(_server.WaitForLog("C-GET: 1 completed, 0 failed, 0 warning", 1), Is.True);
        Assert.That(_server.Log, Does.Contain("(Composite Instance Retrieve Without Bulk Data - GET)"), "the log says which retrieve it was");
        var source = DicomFile.Open(Corpus.PathOf(relative)).Dataset;
        var got = DicomFile.Open((string)received[0]!["file"]!).Dataset;
        var leftOut = source.Select(e => e.Tag).Where(BulkData.IsLeftOutAtTopLevel).ToList();
        Assert.That(leftOut.Count > 0 || source.Contains(DicomTags.WaveformSequence), "the file has bulk data to leave out");
        Assert.Multiple(() =>
        {
            foreach (var tag in leftOut) Assert.That(got.Contains(tag), Is.False, $"{tag} is left out");
            // Everything else is as it was (dcmjs, which wrote the received file, keeps no private or group length elements).
            var kept = source.Where(e => !e.Tag.IsPrivate && !e.Tag.IsGroupLength && !leftOut.Contains(e.Tag)).Select(e => e.Tag).ToList();
            Assert.That(got.Where(e => !e.Tag.IsPrivate && !e.Tag.IsGroupLength).Select(e => e.Tag), Is.EqualTo(kept), "the other attributes");
            foreach (var tag in new[] { DicomTags.SOPClassUID, DicomTags.StudyInstanceUID, DicomTags.SeriesInstanceUID, DicomTags.PatientName, DicomTags.Rows })
                Assert.That(got.GetString(tag), Is.EqualTo(source.GetString(tag)), tag.ToString());
            if (source.GetSequence(DicomTags.IconImageSequence) is { } icon)
                Assert.That(got.GetSequence(DicomTags.IconImageSequence)!.Items[0].Get(DicomTags.PixelData)!.Buffer.GetBytes().ToArray(),
                    Is.EqualTo(icon.Items[0].Get(DicomTags.PixelData)!.Buffer.GetBytes().ToArray()), "the icon keeps its pixels (not at the top level)");
            if (source.GetSequence(DicomTags.WaveformSequence) is { } waveforms)
            {
                var gotWaveforms = got.GetSequence(DicomTags.WaveformSequence)!.Items;
                Assert.That(gotWaveforms, Has.Count.EqualTo(waveforms.Items.Count));
                Assert.That(gotWaveforms.Any(i => i.Contains(DicomTags.WaveformData)), Is.False, "Waveform Data is left out of each item");
                Assert.That(gotWaveforms[0].GetString(DicomTags.NumberOfWaveformSamples), Is.EqualTo(waveforms.Items[0].GetString(DicomTags.NumberOfWaveformSamples)));
            }
        });
    }

    public static IEnumerable<TestCaseData> Refusals()
    {
        TestCaseData Case(string sop, Dictionary<string, object> identifier, int status, string name) => new TestCaseData(sop, identifier, status).SetName(name);
        var mr = UidOf("modality/MR/explicit_little_16frames.dcm");
        yield return Case(RootGet, new() { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = mr, ["SimpleFrameList"] = new[] { 20, 21 } }, 0xAA00, "AA00 for frames the instance lacks");
        yield return Case(RootGet, new() { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = UidOf("modality/CT/ct_image.dcm"), ["SimpleFrameList"] = new[] { 1 } }, 0xAA01, "AA01 for frames of a single-frame image");
        yield return Case(RootGet, new() { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = UnplacedSlide, ["SimpleFrameList"] = new[] { 1 } }, 0xAA02, "AA02 for tiles of a TILED_FULL slide that does not say where they lie");
        yield return Case(RootGet, new() { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = UidOf("modality/NM/NM-MONO2-16-13x-heart"), ["TimeRange"] = new[] { 0.0, 1.0 } }, 0xAA03, "AA03 for a time range of frames without times");
        yield return Case(RootGet, new() { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = mr, ["SimpleFrameList"] = new[] { 5, 2 } }, 0xAA04, "AA04 for a frame list that decreases");
        yield return Case(RootMove, new() { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = mr, ["SimpleFrameList"] = new[] { 1 }, ["CalculatedFrameList"] = new[] { 1, 2, 1 } }, 0xAA04, "AA04 for two frame range keys");
        yield return Case(RootGet, new() { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = mr }, 0xAA04, "AA04 for no frame range key");
        yield return Case(RootGet, new() { ["QueryRetrieveLevel"] = "IMAGE", ["SOPInstanceUID"] = mr, ["SimpleFrameList"] = new[] { 1 } }, 0xA900, "A900 for a frame key at IMAGE level");
        yield return Case(RootGet, new() { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = new[] { mr, UidOf("modality/RT/rtdose.dcm") }, ["SimpleFrameList"] = new[] { 1 } }, 0xA900, "A900 for frames of two instances");
        yield return Case(RootGet, new() { ["QueryRetrieveLevel"] = "SERIES", ["SOPInstanceUID"] = mr }, 0xA900, "A900 for a level the model lacks");
        yield return Case(RootGet, new() { ["QueryRetrieveLevel"] = "IMAGE" }, 0xA900, "A900 without a SOP Instance UID");
        yield return Case(WithoutBulkDataGet, new() { ["QueryRetrieveLevel"] = "FRAME", ["SOPInstanceUID"] = mr, ["SimpleFrameList"] = new[] { 1 } }, 0xA900, "A900 for frames without bulk data");
    }

    [TestCaseSource(nameof(Refusals))]
    public void Malformed_or_impossible_requests_get_their_status(string sopClass, Dictionary<string, object> identifier, int status)
    {
        var report = Run(sopClass == RootMove ? "move" : "get", sopClass, identifier, out _);
        var final = DcmjsDimse.Final(report);
        Assert.That((int)final["status"]!, Is.EqualTo(status), report.ToJsonString());
        Assert.That((string?)final["comment"], Is.Not.Null.And.Not.Empty, "an Error Comment says why");
        Assert.That(report["received"]!.AsArray(), Is.Empty);
        Assert.That(_server.Log, Does.Contain(((string)final["comment"]!)[..Math.Min(30, ((string)final["comment"]!).Length)]), "the refusal is logged");
    }

    [Test]
    public void Our_get_and_move_verbs_ask_for_frames_and_for_instances_without_bulk_data()
    {
        const string relative = "modality/MR/explicit_little_16frames.dcm";
        var uid = UidOf(relative);
        var got = Path.Combine(_work, "verb-get");
        var get = Tciapacs.Run("get", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--out", got, "--frames", "2,5,9", $"SOPInstanceUID={uid}");
        Assert.That(get.ExitCode, Is.Zero, get.StdOut + get.StdErr);
        CheckExtracted(relative, Directory.GetFiles(got).Single(), "SimpleFrameList", [2, 5, 9]);

        var bare = Path.Combine(_work, "verb-bulkless");
        var bulkless = Tciapacs.Run("get", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--out", bare, "--without-bulk-data", $"SOPInstanceUID={uid}");
        Assert.That(bulkless.ExitCode, Is.Zero, bulkless.StdOut + bulkless.StdErr);
        var instance = DicomFile.Open(Directory.GetFiles(bare).Single()).Dataset;
        Assert.That(instance.GetString(DicomTags.SOPInstanceUID), Is.EqualTo(uid));
        Assert.That(instance.Contains(DicomTags.PixelData), Is.False);

        var moved = Path.Combine(_work, "verb-move");
        Directory.CreateDirectory(moved);
        using (new DcmtkScp("storescp", ["-aet", "JSSCP", "-od", moved, _destinationPort.ToString(CultureInfo.InvariantCulture)], _destinationPort))
        {
            var move = Tciapacs.Run("move", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--dest", "JSSCP", "--calculated-frames", "1,end,5", $"SOPInstanceUID={uid}");
            Assert.That(move.ExitCode, Is.Zero, move.StdOut + move.StdErr);
        }
        CheckExtracted(relative, Directory.GetFiles(moved).Single(), "CalculatedFrameList", [1, 6, 11, 16]);

        var wrong = Tciapacs.Run("get", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--out", got, "--frames", "5,2", $"SOPInstanceUID={uid}");
        Assert.That(wrong.ExitCode, Is.Not.Zero);
        Assert.That(wrong.StdErr + wrong.StdOut, Does.Contain("must increase"), "checked before asking");
        var refused = Tciapacs.Run("get", "127.0.0.1", _server.PortText, "--aec", _server.Ae, "--out", got, "--frames", "30", $"SOPInstanceUID={uid}");
        Assert.That(refused.ExitCode, Is.Not.Zero);
        Assert.That(refused.StdOut, Does.Contain("AA00"), "the peer's status is shown");
    }

    [Test]
    public void Dcmjs_dimse_echoes_stores_finds_gets_and_moves_by_Study_Root()
    {
        Assert.That(DcmjsDimse.Status(DcmjsDimse.Run(new { op = "echo", host = "127.0.0.1", port = _server.Port, calledAe = _server.Ae })), Is.Zero, "C-ECHO");
        string[] files = ["modality/MR/mr_brucker.dcm", "charset/chrFren.dcm"];
        var stored = DcmjsDimse.Run(new { op = "store", host = "127.0.0.1", port = _server.Port, calledAe = _server.Ae, files = files.Select(Corpus.PathOf).ToArray() });
        Assert.That(stored["responses"]!.AsArray().Select(r => (int)r!["status"]!), Is.EqualTo(new[] { 0, 0 }), stored.ToJsonString());

        var study = DicomFile.Open(Corpus.PathOf(files[0])).Dataset.GetString(DicomTags.StudyInstanceUID)!.Trim('\0', ' ');
        var found = Run("find", "1.2.840.10008.5.1.4.1.2.2.1", new Dictionary<string, object> { ["QueryRetrieveLevel"] = "STUDY", ["StudyInstanceUID"] = study, ["PatientID"] = "", ["NumberOfStudyRelatedInstances"] = "" }, out _);
        var matches = found["responses"]!.AsArray().Where(r => (int)r!["status"]! == 0xFF00).Select(r => r!["identifier"]!.AsObject()).ToList();
        Assert.That(matches, Has.Count.EqualTo(1), found.ToJsonString());
        Assert.That((string)matches[0]["StudyInstanceUID"]!, Is.EqualTo(study));
        Assert.That(matches[0]["NumberOfStudyRelatedInstances"]!.ToString(), Is.EqualTo("1"));

        var study2 = DicomFile.Open(Corpus.PathOf(files[1])).Dataset.GetString(DicomTags.StudyInstanceUID)!.Trim('\0', ' ');
        foreach (var (op, sop) in new[] { ("get", "1.2.840.10008.5.1.4.1.2.2.3"), ("move", "1.2.840.10008.5.1.4.1.2.2.2") })
        {
            foreach (var (file, uid) in new[] { (files[0], study), (files[1], study2) })
            {
                var report = Run(op, sop, new Dictionary<string, object> { ["QueryRetrieveLevel"] = "STUDY", ["StudyInstanceUID"] = uid }, out _);
                Assert.That(DcmjsDimse.Status(report), Is.Zero, $"{op}: {report.ToJsonString()}");
                var received = report["received"]!.AsArray();
                Assert.That(received, Has.Count.EqualTo(1), op);
                var back = DicomFile.Open((string)received[0]!["file"]!).Dataset;
                var original = DicomFile.Open(Corpus.PathOf(file)).Dataset;
                Assert.That(back.GetString(DicomTags.PatientName), Is.EqualTo(original.GetString(DicomTags.PatientName)), $"{op} {file}: Patient Name");
                Assert.That(back.Get(DicomTags.PixelData)!.Buffer.GetBytes().ToArray(), Is.EqualTo(original.Get(DicomTags.PixelData)!.Buffer.GetBytes().ToArray()), $"{op} {file}: Pixel Data");
            }
        }
    }
}
