using System.Globalization;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Instances stored in RLE Lossless reach peers that accept only native transfer syntaxes (dcmtk's storescp and
/// getscu with their default proposals) decoded, equal to dcmtk's own decoding (dcmdrle); one whose pixel data cannot
/// be decoded fails its sub-operation alone, named in the final response, and the others still go.
/// </summary>
public sealed class RetrieveDecodingTests
{
    private const string CorruptSop = "1.2.826.0.1.3680043.10.544.79.1";

    [Test]
    public void RLE_instances_reach_native_only_peers_decoded_by_C_MOVE_C_GET_and_the_store_verb()
    {
        var work = ServerProcess.TempFolder("rle");
        try
        {
            var rle = Corpus.Entries.Where(e => e.DcmtkParses && e.TransferSyntax.StartsWith(TransferSyntax.RLELossless.Uid + " ", StringComparison.Ordinal)).ToList();
            Assert.That(rle, Has.Count.GreaterThanOrEqualTo(8), "the corpus's RLE Lossless files");
            var corrupt = WriteCorrupt(Corpus.Entries.First(e => e.Path.EndsWith("MR_small_RLE.dcm", StringComparison.Ordinal)).FullPath, Path.Combine(work, "corrupt.dcm"));

            string Folder(string name) => Directory.CreateDirectory(Path.Combine(work, name)).FullName;
            var moved = Folder("moved");
            var got = Folder("got");
            var sentByVerb = Folder("sent");
            var destPort = ServerProcess.FreePort();
            // No transfer syntax option: storescp accepts the uncompressed syntaxes only.
            using var storescp = new DcmtkScp("storescp", ["-aet", "DEST", "-od", moved, destPort.ToString(CultureInfo.InvariantCulture)], destPort);
            using var server = new ServerProcess(null, "--peer", $"DEST@127.0.0.1:{destPort}");

            foreach (var path in rle.Select(e => e.FullPath).Append(corrupt))
                Tciapacs.Dcmtk("storescu", "-xr", "-aec", server.Ae, "127.0.0.1", server.PortText, path);
            // What the archive holds in RLE (files sharing a SOP Instance UID are stored once).
            var stored = Directory.EnumerateFiles(Path.Combine(server.Data, "files"), "*.dcm", SearchOption.AllDirectories)
                .Select(f => (File: f, Header: DicomFile.Open(f, DicomReadOptions.HeaderOnly)))
                .Where(s => s.Header.TransferSyntax.Uid == TransferSyntax.RLELossless.Uid)
                .ToDictionary(s => Uid(s.Header.Dataset, DicomTags.SOPInstanceUID), s => (s.File, s.Header.Dataset));
            Assert.That(stored.Keys, Does.Contain(CorruptSop));
            Assert.That(stored, Has.Count.GreaterThanOrEqualTo(6));

            // dcmtk's decoding of each stored file is the reference.
            var reference = new Dictionary<string, JsonArray>();
            foreach (var (sop, (file, _)) in stored.Where(s => s.Key != CorruptSop))
            {
                var decoded = Path.Combine(work, $"dcmdrle-{sop}.dcm");
                var r = Tciapacs.Dcmtk("dcmdrle", file, decoded);
                Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
                reference[sop] = CanonicalTree.FromDataset(DicomFile.Open(decoded).Dataset);
            }

            foreach (var study in stored.Values.Select(s => Uid(s.Dataset, DicomTags.StudyInstanceUID)).Distinct())
                Tciapacs.Dcmtk("movescu", "-S", "-aec", server.Ae, "-aem", "DEST", "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=STUDY", "-k", $"StudyInstanceUID={study}");
            foreach (var (sop, (_, ds)) in stored)
                Tciapacs.Dcmtk("getscu", "-S", "-aec", server.Ae, "-od", got, "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=IMAGE",
                    "-k", $"StudyInstanceUID={Uid(ds, DicomTags.StudyInstanceUID)}", "-k", $"SeriesInstanceUID={Uid(ds, DicomTags.SeriesInstanceUID)}", "-k", $"SOPInstanceUID={sop}");
            // Our store verb decodes for such a peer too (the corrupt file is reported, the others sent).
            var verbPort = ServerProcess.FreePort();
            using (new DcmtkScp("storescp", ["-aet", "NATIVE", "-od", sentByVerb, verbPort.ToString(CultureInfo.InvariantCulture)], verbPort))
            {
                var store = Tciapacs.Run(["store", "127.0.0.1", verbPort.ToString(CultureInfo.InvariantCulture), "--aec", "NATIVE", .. stored.Values.Select(s => s.File)]);
                Assert.That(store.ExitCode, Is.EqualTo(1), store.StdOut + store.StdErr);
                Assert.That(store.StdOut + store.StdErr, Does.Contain("could not be decoded"));
            }

            var log = server.Log;
            var differences = new List<string>();
            foreach (var (folder, how) in new[] { (moved, "C-MOVE"), (got, "C-GET"), (sentByVerb, "tciapacs store") })
            {
                var files = Directory.GetFiles(folder);
                foreach (var (sop, expected) in reference)
                {
                    var f = files.SingleOrDefault(x => x.EndsWith("." + sop, StringComparison.Ordinal));
                    if (f == null) { differences.Add($"{how}: {sop} did not arrive"); continue; }
                    var received = DicomFile.Open(f);
                    if (received.TransferSyntax.Uid != TransferSyntax.ExplicitVRLittleEndian.Uid) differences.Add($"{how}: {sop} arrived in {received.TransferSyntax.Uid}");
                    differences.AddRange(CanonicalTree.Compare(CanonicalTree.FromDataset(received.Dataset), expected).Select(d => $"{how}: {sop}: {d}"));
                }
                Assert.That(files.Where(x => x.EndsWith("." + CorruptSop, StringComparison.Ordinal)), Is.Empty, how + ": the corrupt instance is not sent");
            }
            Assert.That(differences, Is.Empty);
            // The corrupt instance shares its study with MR_small_RLE: that C-MOVE completed one and failed one.
            Assert.That(log, Does.Contain($"{CorruptSop}").And.Contain("could not be decoded"));
            Assert.That(log, Does.Contain("C-MOVE to DEST: 1 completed, 1 failed"));
            Assert.That(Directory.GetFiles(Path.Combine(server.Data, "tmp", "dimse")), Is.Empty, "no decoded copy left");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    [Test]
    public void JPEG_and_JPEG_LS_instances_reach_a_native_only_getscu_decoded_as_dcmtk_decodes_them()
    {
        // storescu's option proposing each syntax; getscu's default proposes the uncompressed ones only.
        var flags = new Dictionary<string, string>
        {
            ["1.2.840.10008.1.2.4.50"] = "-xy", ["1.2.840.10008.1.2.4.51"] = "-xx", ["1.2.840.10008.1.2.4.70"] = "-xs",
            ["1.2.840.10008.1.2.4.80"] = "-xt", ["1.2.840.10008.1.2.4.81"] = "-xu",
        };
        var work = ServerProcess.TempFolder("jpeg");
        try
        {
            var got = Directory.CreateDirectory(Path.Combine(work, "got")).FullName;
            using var server = new ServerProcess();
            // Whole-slide edge tiles narrower than their frame are placed differently by dcmtk (JpegCodecTests covers them).
            var stored = StoreCorpusFiles(server, flags, e => !e.Path.EndsWith("multiframe.dcm", StringComparison.Ordinal));
            Assert.That(stored.Select(s => s.Header.TransferSyntax.Uid).Distinct().Count(), Is.EqualTo(5), "instances of each syntax stored");
            Assert.That(stored, Has.Count.GreaterThanOrEqualTo(25));

            var differences = new List<string>();
            var lossless = 0;
            foreach (var (file, header) in stored)
            {
                var ds = header.Dataset;
                var sop = Uid(ds, DicomTags.SOPInstanceUID);
                var jpegLs = header.TransferSyntax.Uid is "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81";
                var reference = Path.Combine(work, $"reference-{sop}.dcm");
                var r = Tciapacs.Dcmtk(jpegLs ? "dcmdjpls" : "dcmdjpeg", file, reference);
                if (r.ExitCode != 0) continue; // dcmtk cannot decode it: no reference
                if (GetWithDefaultProposals(server, got, ds, header.TransferSyntax.Uid, differences) is not { } received) continue;
                var ours = DicomFile.Open(received);
                var theirs = DicomFile.Open(reference);
                if (ours.TransferSyntax.Uid != TransferSyntax.ExplicitVRLittleEndian.Uid) differences.Add($"{sop} arrived in {ours.TransferSyntax.Uid}");
                // The stream decides (a file labelled lossless may hold a baseline stream); the attributes follow the label.
                // JPEG-LS decoding is exact, near-lossless included.
                var isLossy = !jpegLs && JpegStream.IsLossy(EncapsulatedFrames.FromDataset(DicomFile.Open(file).Dataset).GetFrame(0).Span);
                // Every attribute as dcmtk leaves it; the pixels equal for a lossless instance, within the rounding of
                // two IDCT implementations for a lossy one.
                differences.AddRange(CanonicalTree.Compare(CanonicalTree.FromDataset(ours.Dataset), CanonicalTree.FromDataset(theirs.Dataset))
                    // File meta elements a sender left inside the data set stay there in dcmdjpeg's file; a DIMSE data set
                    // never carries them (PS3.10 7.1), as CorpusRoundTripTests checks.
                    // dcmdjpeg writes an item's 8-bit pixel data (an icon) as OW, we as OB, as at the top level: both are
                    // Explicit VR Little Endian's choices for 8 bits allocated (PS3.5 A.2).
                    .Where(d => (!isLossy || !d.StartsWith("/7FE00010", StringComparison.Ordinal)) && !d.StartsWith("/0002", StringComparison.Ordinal)
                        && !d.EndsWith("/7FE00010: VR OB here, OW there", StringComparison.Ordinal))
                    .Select(d => $"{sop}: {d}"));
                var a = ours.Dataset.GetBytes(DicomTags.PixelData).ToArray();
                var b = theirs.Dataset.GetBytes(DicomTags.PixelData).ToArray();
                if (a.Length != b.Length) differences.Add($"{sop}: {a.Length} pixel bytes, dcmdjpeg {b.Length}");
                else if (isLossy)
                {
                    var step = PixelDataInfo(ours.Dataset);
                    var worst = 0;
                    for (var i = 0; i + step <= a.Length; i += step)
                        worst = Math.Max(worst, Math.Abs((step == 1 ? a[i] : a[i] | a[i + 1] << 8) - (step == 1 ? b[i] : b[i] | b[i + 1] << 8)));
                    if (worst > 3) differences.Add($"{sop}: a sample differs by {worst} from dcmdjpeg's");
                }
                else lossless++;
            }
            Assert.That(differences, Is.Empty);
            Assert.That(lossless, Is.GreaterThanOrEqualTo(8));
            Assert.That(Directory.GetFiles(Path.Combine(server.Data, "tmp", "dimse")), Is.Empty, "no decoded copy left");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    [Test]
    public void JPEG_2000_instances_reach_a_native_only_getscu_decoded_as_GDCM_decodes_them()
    {
        var flags = new Dictionary<string, string> { ["1.2.840.10008.1.2.4.90"] = "-xv", ["1.2.840.10008.1.2.4.91"] = "-xw" };
        var work = ServerProcess.TempFolder("j2k");
        try
        {
            var got = Directory.CreateDirectory(Path.Combine(work, "got")).FullName;
            using var server = new ServerProcess();
            var stored = StoreCorpusFiles(server, flags, _ => true);
            Assert.That(stored.Select(s => s.Header.TransferSyntax.Uid).Distinct().Count(), Is.EqualTo(2), "instances of both syntaxes stored");
            Assert.That(stored, Has.Count.GreaterThanOrEqualTo(14));

            var differences = new List<string>();
            int exact = 0, arrived = 0;
            foreach (var (file, header) in stored)
            {
                var ds = header.Dataset;
                var sop = Uid(ds, DicomTags.SOPInstanceUID);
                var reference = Path.Combine(work, $"reference-{sop}.dcm");
                var r = ExternalTool.Run(ExternalTool.Require("gdcmconv"), ["--raw", file, reference]);
                if (r.ExitCode != 0) continue; // GDCM cannot decode it: no reference
                if (GetWithDefaultProposals(server, got, ds, header.TransferSyntax.Uid, differences) is not { } received) continue;
                arrived++;
                var ours = DicomFile.Open(received);
                var theirs = DicomFile.Open(reference);
                if (ours.TransferSyntax.Uid != TransferSyntax.ExplicitVRLittleEndian.Uid) differences.Add($"{sop} arrived in {ours.TransferSyntax.Uid}");
                if (ours.Dataset.GetString(DicomTags.PhotometricInterpretation) != theirs.Dataset.GetString(DicomTags.PhotometricInterpretation))
                    differences.Add($"{sop}: {ours.Dataset.GetString(DicomTags.PhotometricInterpretation)}, GDCM {theirs.Dataset.GetString(DicomTags.PhotometricInterpretation)}");
                var reversible = Jpeg2000Stream.IsReversible(EncapsulatedFrames.FromDataset(DicomFile.Open(file).Dataset).GetFrame(0).Span);
                var a = ours.Dataset.GetBytes(DicomTags.PixelData).ToArray();
                var b = theirs.Dataset.GetBytes(DicomTags.PixelData).ToArray();
                if (a.Length != b.Length) { differences.Add($"{sop}: {a.Length} pixel bytes, GDCM {b.Length}"); continue; }
                var step = PixelDataInfo(ours.Dataset);
                var mask = (1 << (int)(ours.Dataset.GetInt(DicomTags.BitsStored) ?? 8 * step)) - 1;
                var worst = 0;
                for (var i = 0; i + step <= a.Length; i += step)
                    worst = Math.Max(worst, Math.Abs(((step == 1 ? a[i] : a[i] | a[i + 1] << 8) & mask) - ((step == 1 ? b[i] : b[i] | b[i + 1] << 8) & mask)));
                if (worst > (reversible ? 0 : 1)) differences.Add($"{sop}: a sample differs by {worst} from GDCM's ({(reversible ? "reversible" : "irreversible")} stream)");
                if (reversible && worst == 0) exact++;
            }
            TestContext.Out.WriteLine($"{stored.Count} stored, {arrived} arrived decoded, {exact} reversible ones equal to GDCM's");
            Assert.That(differences, Is.Empty);
            Assert.That(arrived, Is.GreaterThanOrEqualTo(10));
            Assert.That(exact, Is.GreaterThanOrEqualTo(6));
            Assert.That(Directory.GetFiles(Path.Combine(server.Data, "tmp", "dimse")), Is.Empty, "no decoded copy left");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    /// <summary>
    /// Segmentations in Deflated Image Frame Compression (Supplement 244, which dcmtk 3.6.7 does not know), sent by our
    /// store verb and moved to a storescp that takes native syntaxes only: they arrive as native 1-bit data, the frames
    /// that end inside a byte joined bit by bit, the one made from a native segmentation equal to it.
    /// </summary>
    [Test]
    public void Deflated_segmentations_reach_a_native_only_move_destination_as_native_1_bit_data()
    {
        var work = ServerProcess.TempFolder("deflated-frames");
        try
        {
            var moved = Directory.CreateDirectory(Path.Combine(work, "moved")).FullName;
            var destPort = ServerProcess.FreePort();
            using var storescp = new DcmtkScp("storescp", ["-aet", "DEST", "-od", moved, destPort.ToString(CultureInfo.InvariantCulture)], destPort);
            using var server = new ServerProcess(null, "--peer", $"DEST@127.0.0.1:{destPort}");
            var sources = Corpus.Entries.Where(e => e.TransferSyntax.StartsWith(TransferSyntax.DeflatedImageFrameCompression.Uid + " ", StringComparison.Ordinal)).Select(e => e.FullPath).ToList();
            Assert.That(sources, Has.Count.EqualTo(2));
            var store = Tciapacs.Run(["store", "127.0.0.1", server.PortText, "--aec", server.Ae, .. sources]);
            Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
            var stored = StoredFiles(server, ts => ts == TransferSyntax.DeflatedImageFrameCompression.Uid);
            Assert.That(stored, Has.Count.EqualTo(2), "stored as sent");
            foreach (var study in stored.Select(s => Uid(s.Header.Dataset, DicomTags.StudyInstanceUID)).Distinct())
                Tciapacs.Dcmtk("movescu", "-S", "-aec", server.Ae, "-aem", "DEST", "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=STUDY", "-k", $"StudyInstanceUID={study}");
            foreach (var (file, header) in stored)
            {
                var sop = Uid(header.Dataset, DicomTags.SOPInstanceUID);
                var received = Directory.GetFiles(moved).SingleOrDefault(f => f.EndsWith("." + sop, StringComparison.Ordinal));
                Assert.That(received, Is.Not.Null, $"{sop} arrived");
                var ours = DicomFile.Open(received!);
                Assert.That(ours.TransferSyntax.IsEncapsulated, Is.False, sop);
                var expected = new DicomTranscoder().Transcode(DicomFile.Open(file), TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray();
                Assert.That(ours.Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(expected), sop);
                if (header.Dataset.GetInt(DicomTags.Rows) == 512)
                    Assert.That(expected, Is.EqualTo(DicomFile.Open(Corpus.PathOf("modality/SEG/liver.dcm")).Dataset.GetBytes(DicomTags.PixelData).ToArray()), "the native segmentation it was made from");
            }
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    /// <summary>
    /// HTJ2K instances, which dcmtk 3.6.7 can neither send nor decode, sent by our store verb and retrieved by getscu
    /// with its default (native) proposals: they arrive decoded, equal to what OpenJPH's ojph_expand decodes (the
    /// lossless one exactly, the lossy one within 1).
    /// </summary>
    [Test]
    public void HTJ2K_instances_reach_a_native_only_getscu_decoded_as_OpenJPH_decodes_them()
    {
        var work = ServerProcess.TempFolder("htj2k");
        try
        {
            var got = Directory.CreateDirectory(Path.Combine(work, "got")).FullName;
            using var server = new ServerProcess();
            // The corpus files lack study and series UIDs (the archive refuses them, 0xA900): copies get ours.
            var sources = new List<string>();
            foreach (var e in Corpus.Entries.Where(e => e.TransferSyntax.StartsWith("1.2.840.10008.1.2.4.20", StringComparison.Ordinal)))
            {
                var copy = DicomFile.Open(e.FullPath, new DicomReadOptions { LargeValueThreshold = long.MaxValue });
                copy.Dataset.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, "1.2.826.0.1.3680043.10.544.201");
                copy.Dataset.AddOrUpdate(DicomTags.SeriesInstanceUID, VR.UI, "1.2.826.0.1.3680043.10.544.201.1");
                sources.Add(Path.Combine(work, Path.GetFileName(e.Path)));
                copy.Save(sources[^1], copy.TransferSyntax);
            }
            Assert.That(sources, Has.Count.GreaterThanOrEqualTo(2));
            var store = Tciapacs.Run(["store", "127.0.0.1", server.PortText, "--aec", server.Ae, .. sources]);
            Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
            var stored = StoredFiles(server, ts => ts.StartsWith("1.2.840.10008.1.2.4.20", StringComparison.Ordinal));
            Assert.That(stored, Has.Count.EqualTo(sources.Count), "every HTJ2K instance stored as sent");

            var differences = new List<string>();
            foreach (var (file, header) in stored)
            {
                var ds = header.Dataset;
                var sop = Uid(ds, DicomTags.SOPInstanceUID);
                if (GetWithDefaultProposals(server, got, ds, header.TransferSyntax.Uid, differences) is not { } received) continue;
                var ours = DicomFile.Open(received);
                Assert.That(ours.TransferSyntax.Uid, Is.EqualTo(TransferSyntax.ExplicitVRLittleEndian.Uid), sop);
                Assert.That(ours.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("RGB"), sop);
                // OpenJPH's reading of the stored frame: a PPM whose samples follow its 4-field header.
                var codestream = Path.Combine(work, sop + ".j2c");
                File.WriteAllBytes(codestream, EncapsulatedFrames.FromDataset(DicomFile.Open(file).Dataset).GetFrame(0).ToArray());
                var ppm = Path.Combine(work, sop + ".ppm");
                var r = ExternalTool.Run(ExternalTool.Require("ojph_expand"), ["-i", codestream, "-o", ppm]);
                Assert.That(r.ExitCode, Is.Zero, r.StdErr);
                var theirs = File.ReadAllBytes(ppm);
                var pixels = ours.Dataset.GetBytes(DicomTags.PixelData).ToArray();
                var offset = theirs.Length - pixels.Length;
                Assert.That(offset, Is.InRange(8, 40), "the PPM holds the same number of samples after its header");
                var worst = 0;
                for (var i = 0; i < pixels.Length; i++) worst = Math.Max(worst, Math.Abs(pixels[i] - theirs[offset + i]));
                var lossless = header.TransferSyntax.Uid != TransferSyntax.HTJ2K.Uid;
                if (worst > (lossless ? 0 : 1)) differences.Add($"{sop}: a sample differs by {worst} from OpenJPH's ({header.TransferSyntax.Uid})");
            }
            Assert.That(differences, Is.Empty);
            Assert.That(Directory.GetFiles(got), Has.Length.EqualTo(stored.Count), "every instance arrived");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    /// <summary>
    /// Sends the corpus files of the syntaxes in <paramref name="flags"/> (storescu's option proposing each) that dcmtk
    /// parses and <paramref name="include"/> admits, in their own syntax; returns the stored files of those syntaxes.
    /// </summary>
    /// <summary>
    /// getscu asked to prefer a compressed syntax (+xs JPEG Lossless, +xt JPEG-LS, +xr RLE, +xv JPEG 2000 Lossless)
    /// proposes it first in each storage context, the native ones after it; we keep its first choice (an instance stored
    /// in it goes as stored). An instance stored otherwise had then no context and failed (0xA702): it is now encoded
    /// for it (a compressed one decoded first), and decodes to the pixels we hold (as we decode them). JPEG Baseline
    /// first (+xy): we encode no lossy syntax, so a native instance still finds no context (conformance/dimse.md),
    /// while one stored in it goes as stored.
    /// </summary>
    [TestCase("+xs", "1.2.840.10008.1.2.4.70")]
    [TestCase("+xt", "1.2.840.10008.1.2.4.80")]
    [TestCase("+xr", "1.2.840.10008.1.2.5")]
    [TestCase("+xv", "1.2.840.10008.1.2.4.90")]
    [TestCase("+xy", null)]
    public void Getscu_preferring_a_compressed_syntax_gets_native_instances_encoded_in_it(string prefer, string? encodedIn)
    {
        var work = ServerProcess.TempFolder("prefer");
        try
        {
            var got = Directory.CreateDirectory(Path.Combine(work, "got")).FullName;
            using var server = new ServerProcess();
            string[] files = ["modality/CT/ct_image.dcm", "modality/MR/emri_small.dcm", "transfer-syntax/jpeg-baseline/SC_rgb_jpeg_dcmtk.dcm"];
            var store = Tciapacs.Run(["store", "127.0.0.1", server.PortText, "--aec", server.Ae, .. files.Select(Corpus.PathOf)]);
            Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
            var transcoder = new DicomTranscoder();
            foreach (var relative in files)
            {
                var source = DicomFile.Open(Corpus.PathOf(relative));
                var ds = source.Dataset;
                var sop = Uid(ds, DicomTags.SOPInstanceUID);
                Tciapacs.Dcmtk("getscu", prefer, "-aec", server.Ae, "-od", got, "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=IMAGE",
                    "-k", $"StudyInstanceUID={Uid(ds, DicomTags.StudyInstanceUID)}", "-k", $"SeriesInstanceUID={Uid(ds, DicomTags.SeriesInstanceUID)}", "-k", $"SOPInstanceUID={sop}");
                var received = Directory.GetFiles(got).SingleOrDefault(f => f.EndsWith("." + sop, StringComparison.Ordinal));
                if (source.TransferSyntax.IsEncapsulated && encodedIn == null)
                {
                    Assert.That(received, Is.Not.Null, $"{relative} with getscu {prefer}");
                    Assert.That(DicomFile.Open(received!).TransferSyntax.Uid, Is.EqualTo(source.TransferSyntax.Uid), $"{relative}: as stored");
                    continue;
                }
                if (encodedIn == null)
                {
                    Assert.That(received, Is.Null, $"{relative}: JPEG Baseline holds no 16-bit image");
                    Assert.That(server.Log, Does.Contain($"no accepted presentation context for {sop}"));
                    continue;
                }
                Assert.That(received, Is.Not.Null, $"{relative} ({source.TransferSyntax.Name}) arrived with getscu {prefer}");
                var file = DicomFile.Open(received!);
                Assert.That(file.TransferSyntax.Uid, Is.EqualTo(encodedIn), $"{relative}: encoded in the syntax getscu put first");
                Assert.That(transcoder.Transcode(file, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray(),
                    Is.EqualTo(transcoder.Transcode(source, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray()), relative);
                if (source.TransferSyntax.IsLossy) Assert.That(file.Dataset.GetString(DicomTags.LossyImageCompression), Is.EqualTo("01"), $"{relative}: once lossy, marked lossy");
            }
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    /// <summary>
    /// getscu preferring JPEG Baseline (<c>+xy</c>) gets a native 8-bit RGB image coded as JPEG Baseline, and preferring
    /// JPEG Extended (<c>+xx</c>) a 12-bit enhanced MR in it: a new, derived instance (PS3.3 C.7.6.1.1.5: new SOP Instance UID, the stored one in Source Image Sequence, Lossy Image
    /// Compression 01, Image Type DERIVED) that dcmtk's dcmdjpeg decodes close to the original (for the 8-bit image as
    /// close as dcmtk's own dcmcjpeg at the same quality). Asked again, it is the same instance.
    /// </summary>
    [TestCase("+xy", "modality/SC/SC_rgb.dcm", "1.2.840.10008.1.2.4.50", TestName = "getscu +xy: an 8-bit RGB secondary capture in JPEG Baseline")]
    [TestCase("+xx", "modality/MR/emri_small.dcm", "1.2.840.10008.1.2.4.51", TestName = "getscu +xx: a 12-bit enhanced MR in JPEG Extended")]
    [TestCase("+xx", "modality/CT/ct_image.dcm", "1.2.840.10008.1.2.4.51", TestName = "getscu +xx: a signed 16-bit CT in JPEG Extended, its Hounsfield units kept")]
    [TestCase("+xx", "transfer-syntax/jpeg2000-lossless/J2K_pixelrep_mismatch.dcm", "1.2.840.10008.1.2.4.51", TestName = "getscu +xx: a JPEG 2000 CT of 13 bits decoded and coded in JPEG Extended")]
    public void Getscu_preferring_lossy_JPEG_gets_a_native_image_as_a_derived_lossy_instance(string prefer, string relative, string syntaxUid)
    {
        var work = ServerProcess.TempFolder("lossy");
        try
        {
            using var server = new ServerProcess();
            var syntax = TransferSyntax.Lookup(syntaxUid);
            var store = Tciapacs.Run(["store", "127.0.0.1", server.PortText, "--aec", server.Ae, Corpus.PathOf(relative)]);
            Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
            var source = DicomFile.Open(Corpus.PathOf(relative));
            var ds = source.Dataset;
            var sop = Uid(ds, DicomTags.SOPInstanceUID);
            var derived = LossyDerivation.DerivedUid(sop, syntax, 90);
            string Get(string name)
            {
                var got = Directory.CreateDirectory(Path.Combine(work, name)).FullName;
                Tciapacs.Dcmtk("getscu", prefer, "-aec", server.Ae, "-od", got, "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=IMAGE",
                    "-k", $"StudyInstanceUID={Uid(ds, DicomTags.StudyInstanceUID)}", "-k", $"SeriesInstanceUID={Uid(ds, DicomTags.SeriesInstanceUID)}", "-k", $"SOPInstanceUID={sop}");
                return Directory.GetFiles(got).Single();
            }
            var received = Get("first");
            Assert.That(Path.GetFileName(received), Does.EndWith("." + derived), "getscu names the file by the C-STORE's Affected SOP Instance UID");
            var file = DicomFile.Open(received);
            Assert.That(file.TransferSyntax, Is.EqualTo(syntax));
            Assert.That(Uid(file.Dataset, DicomTags.SOPInstanceUID), Is.EqualTo(derived));
            Assert.That(file.Dataset.GetString(DicomTags.LossyImageCompression), Is.EqualTo("01"));
            Assert.That(file.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo(ds.GetInt(DicomTags.SamplesPerPixel) == 3 ? "YBR_FULL_422" : "MONOCHROME2"));
            Assert.That(file.Dataset.GetSequence(DicomTags.SourceImageSequence)!.Items.Single().GetString(DicomTags.ReferencedSOPInstanceUID), Is.EqualTo(sop));
            if (ds.GetStrings(DicomTags.ImageType).Length > 0) Assert.That(file.Dataset.GetStrings(DicomTags.ImageType)[0], Is.EqualTo("DERIVED"));

            var decoded = Path.Combine(work, "decoded.dcm");
            Tciapacs.Dcmtk("dcmdjpeg", received, decoded);
            var pixels = DicomFile.Open(decoded).Dataset.GetBytes(DicomTags.PixelData).ToArray();
            // A compressed original is compared as our decoder gives it (as OpenJPEG does: the decoding tests' business).
            var native = source.TransferSyntax.IsEncapsulated ? new DicomTranscoder().Transcode(source, TransferSyntax.ExplicitVRLittleEndian).Dataset : ds;
            var original = native.GetBytes(DicomTags.PixelData).ToArray();
            Assert.That(pixels.Length, Is.EqualTo(original.Length));
            if (syntax != TransferSyntax.JPEGBaseline8Bit)
            {
                // dcmcjpeg maps deeper samples onto the JPEG's range first: no like for like. Within 6 of 4096 on average (3 here),
                // compared as modality values (a CT's samples are moved onto 12 bits, its Rescale Intercept the other way).
                var decodedSet = DicomFile.Open(decoded).Dataset;
                double Modality(DicomDataset at, byte[] bytes, int i)
                {
                    var bits = (int)(at.GetInt(DicomTags.BitsStored) ?? 16);
                    var raw = BitConverter.ToUInt16(bytes, 2 * i) & ((1 << bits) - 1);
                    var stored = at.GetInt(DicomTags.PixelRepresentation) == 1 && (raw & (1 << (bits - 1))) != 0 ? raw - (1 << bits) : raw;
                    double Number(DicomTag tag, double otherwise) =>
                        double.TryParse(at.GetString(tag), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : otherwise;
                    return stored * Number(DicomTags.RescaleSlope, 1) + Number(DicomTags.RescaleIntercept, 0);
                }
                if (ds.Contains(DicomTags.RescaleIntercept)) Assert.That(decodedSet.GetInt(DicomTags.PixelRepresentation), Is.Zero);
                var error = Enumerable.Range(0, pixels.Length / 2).Average(i => Math.Abs(Modality(decodedSet, pixels, i) - Modality(native, original, i)));
                TestContext.Out.WriteLine($"mean error per sample: {error:F2}");
                Assert.That(error, Is.LessThan(6));
            }
            else
            {
                var dcmtkCoded = Path.Combine(work, "dcmcjpeg.dcm");
                Tciapacs.Dcmtk("dcmcjpeg", "+eb", "+q", "90", Corpus.PathOf(relative), dcmtkCoded);
                var dcmtkDecoded = Path.Combine(work, "dcmcjpeg-decoded.dcm");
                Tciapacs.Dcmtk("dcmdjpeg", dcmtkCoded, dcmtkDecoded);
                var theirs = DicomFile.Open(dcmtkDecoded).Dataset.GetBytes(DicomTags.PixelData).ToArray();
                double MeanError(byte[] a) => a.Zip(original).Average(p => Math.Abs(p.First - p.Second));
                TestContext.Out.WriteLine($"mean error per sample: ours {MeanError(pixels):F2}, dcmcjpeg's {MeanError(theirs):F2}");
                Assert.That(MeanError(pixels), Is.LessThan(MeanError(theirs) * 1.2 + 0.1), "as close to the original as dcmcjpeg +eb +q 90");
            }

            Assert.That(Path.GetFileName(Get("again")), Is.EqualTo(Path.GetFileName(received)), "the same derived instance when asked again");

            // A compressed instance goes as stored to a requestor that takes its syntax too (ours proposes every syntax
            // after its first choice; getscu +xx only JPEG Extended and the native ones): nothing to derive.
            if (source.TransferSyntax.IsEncapsulated) return;
            // Our own C-GET SCU names each file by the C-STORE request's Affected SOP Instance UID (getscu by the data
            // set's): the request names the derived instance too (PS3.7 9.1.1.1: the SOP Instance of the data set).
            var ours = Directory.CreateDirectory(Path.Combine(work, "tciapacs-get")).FullName;
            var get = Tciapacs.Run("get", "127.0.0.1", server.PortText, "--aec", server.Ae, "--out", ours, "--level", "IMAGE", "--prefer", syntax.Uid,
                $"StudyInstanceUID={Uid(ds, DicomTags.StudyInstanceUID)}", $"SeriesInstanceUID={Uid(ds, DicomTags.SeriesInstanceUID)}", $"SOPInstanceUID={sop}");
            Assert.That(get.ExitCode, Is.Zero, get.StdOut + get.StdErr);
            var named = Directory.GetFiles(ours).Single();
            Assert.That(Path.GetFileName(named), Is.EqualTo(derived + ".dcm"), "the C-STORE request's Affected SOP Instance UID");
            Assert.That(Uid(DicomFile.Open(named).Dataset, DicomTags.SOPInstanceUID), Is.EqualTo(derived));
            Assert.That(DicomFile.Open(named).TransferSyntax, Is.EqualTo(syntax));
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    /// <summary>
    /// The corpus's JPEG XL JPEG Recompression instance (which dcmtk 3.6.7 cannot send: our store verb does) reaches a
    /// native-only getscu decoded with libjxl: RGB samples equal to our transcoder's, whose decoding JpegXlCodecTests
    /// checks against djxl and dcmdjpeg; a peer that takes JPEG Baseline (getscu +xy, storescp +xy as a C-MOVE
    /// destination) gets the JPEG streams it was made from, rebuilt byte for byte, as the same instance.
    /// </summary>
    [Test]
    public void A_JPEG_XL_instance_reaches_a_native_only_getscu_decoded()
    {
        var work = ServerProcess.TempFolder("jxl");
        try
        {
            var got = Directory.CreateDirectory(Path.Combine(work, "got")).FullName;
            var moved = Directory.CreateDirectory(Path.Combine(work, "moved")).FullName;
            var destPort = ServerProcess.FreePort();
            // storescp preferring JPEG Baseline accepts it and the uncompressed syntaxes, not JPEG XL (dcmtk 3.6.7 knows none).
            using var storescp = new DcmtkScp("storescp", ["+xy", "-aet", "DEST", "-od", moved, destPort.ToString(CultureInfo.InvariantCulture)], destPort);
            using var server = new ServerProcess(null, "--peer", $"DEST@127.0.0.1:{destPort}");
            var source = Corpus.PathOf("transfer-syntax/jpeg-xl/will-jxl.dcm");
            var store = Tciapacs.Run(["store", "127.0.0.1", server.PortText, "--aec", server.Ae, source]);
            Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
            var stored = StoredFiles(server, ts => ts == "1.2.840.10008.1.2.4.111");
            Assert.That(stored, Has.Count.EqualTo(1), "stored as sent, in JPEG XL JPEG Recompression");

            var differences = new List<string>();
            var received = GetWithDefaultProposals(server, got, stored[0].Header.Dataset, "1.2.840.10008.1.2.4.111", differences);
            Assert.That(differences, Is.Empty);
            Assert.That(received, Is.Not.Null, "getscu proposes Ultrasound Multi-frame Image Storage");
            var ours = DicomFile.Open(received!);
            Assert.That(ours.TransferSyntax.Uid, Is.EqualTo(TransferSyntax.ExplicitVRLittleEndian.Uid));
            Assert.That(ours.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("RGB"));
            Assert.That(ours.Dataset.GetString(DicomTags.LossyImageCompression), Is.EqualTo("01"));
            var expected = new DicomTranscoder().Transcode(DicomFile.Open(source), TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray();
            Assert.That(ours.Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(expected), "27 frames decoded");

            // A peer that takes JPEG Baseline gets the JPEG streams rebuilt, byte for byte, as the same instance: by
            // C-GET (getscu +xy) and by C-MOVE (we propose JPEG Baseline and Extended for such an instance).
            var ds = stored[0].Header.Dataset;
            var sop = Uid(ds, DicomTags.SOPInstanceUID);
            var jpegGot = Directory.CreateDirectory(Path.Combine(work, "jpeg")).FullName;
            Tciapacs.Dcmtk("getscu", "+xy", "-aec", server.Ae, "-od", jpegGot, "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=IMAGE",
                "-k", $"StudyInstanceUID={Uid(ds, DicomTags.StudyInstanceUID)}", "-k", $"SeriesInstanceUID={Uid(ds, DicomTags.SeriesInstanceUID)}", "-k", $"SOPInstanceUID={sop}");
            Tciapacs.Dcmtk("movescu", "-aec", server.Ae, "-aem", "DEST", "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=STUDY", "-k", $"StudyInstanceUID={Uid(ds, DicomTags.StudyInstanceUID)}");
            var frames = EncapsulatedFrames.FromDataset(DicomFile.Open(source).Dataset);
            foreach (var (how, folder) in new[] { ("C-GET", jpegGot), ("C-MOVE", moved) })
            {
                var file = DicomFile.Open(Directory.GetFiles(folder).Single(f => f.EndsWith("." + sop, StringComparison.Ordinal)));
                Assert.That(file.TransferSyntax, Is.EqualTo(TransferSyntax.JPEGBaseline8Bit), how);
                Assert.That(file.Dataset.GetString(DicomTags.PhotometricInterpretation), Is.EqualTo("YBR_FULL_422"), how);
                var jpegs = EncapsulatedFrames.FromDataset(file.Dataset);
                Assert.That(jpegs.Count, Is.EqualTo(27), how);
                foreach (var f in new[] { 0, 26 })
                {
                    var jxl = Path.Combine(work, $"{how}-{f}.jxl");
                    File.WriteAllBytes(jxl, frames.GetFrame(f).ToArray());
                    Tciapacs.Dcmtk("djxl", jxl, jxl + ".jpg");
                    var jpeg = File.ReadAllBytes(jxl + ".jpg");
                    Assert.That(jpegs.GetFrame(f).ToArray()[..jpeg.Length], Is.EqualTo(jpeg), $"{how}: frame {f + 1} is the JPEG djxl rebuilds");
                }
            }
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    private static List<(string File, DicomFile Header)> StoreCorpusFiles(ServerProcess server, Dictionary<string, string> flags, Func<Corpus.Entry, bool> include)
    {
        foreach (var e in Corpus.Entries.Where(e => e.DcmtkParses && include(e) && flags.Keys.Any(ts => e.TransferSyntax.StartsWith(ts + " ", StringComparison.Ordinal))))
            Tciapacs.Dcmtk("storescu", flags[e.TransferSyntax.Split(' ')[0]], "-aec", server.Ae, "127.0.0.1", server.PortText, e.FullPath);
        return StoredFiles(server, flags.ContainsKey);
    }

    /// <summary>The files the server stored whose transfer syntax <paramref name="syntax"/> admits, with their headers.</summary>
    internal static List<(string File, DicomFile Header)> StoredFiles(ServerProcess server, Func<string, bool> syntax) =>
        Directory.EnumerateFiles(Path.Combine(server.Data, "files"), "*.dcm", SearchOption.AllDirectories)
            .Select(f => (File: f, Header: DicomFile.Open(f, DicomReadOptions.HeaderOnly)))
            .Where(s => syntax(s.Header.TransferSyntax.Uid))
            .ToList();

    /// <summary>
    /// Retrieves one stored instance with getscu and its default proposals (uncompressed syntaxes only). Null when it did
    /// not arrive, which is a difference unless getscu proposed no context for its SOP class (its defaults name the
    /// common storage SOP classes only).
    /// </summary>
    internal static string? GetWithDefaultProposals(ServerProcess server, string got, DicomDataset ds, string storedSyntax, List<string> differences)
    {
        var sop = Uid(ds, DicomTags.SOPInstanceUID);
        Tciapacs.Dcmtk("getscu", "-S", "-aec", server.Ae, "-od", got, "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=IMAGE",
            "-k", $"StudyInstanceUID={Uid(ds, DicomTags.StudyInstanceUID)}", "-k", $"SeriesInstanceUID={Uid(ds, DicomTags.SeriesInstanceUID)}", "-k", $"SOPInstanceUID={sop}");
        var received = Directory.GetFiles(got).SingleOrDefault(x => x.EndsWith("." + sop, StringComparison.Ordinal));
        if (received == null && !server.Log.Contains($"no accepted presentation context for {sop}", StringComparison.Ordinal))
            differences.Add($"{sop} ({storedSyntax}) did not arrive");
        return received;
    }

    private static int PixelDataInfo(DicomDataset ds) => (ds.GetInt(DicomTags.BitsAllocated) ?? 8) > 8 ? 2 : 1;

    /// <summary>A copy of an RLE file under a new SOP Instance UID (same study) whose one frame's RLE header is wrong.</summary>
    private static string WriteCorrupt(string source, string path)
    {
        var file = DicomFile.Open(source);
        var ds = file.Dataset.Clone();
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, CorruptSop);
        var frame = new byte[128];
        frame[0] = 1; // one segment, where 16-bit samples need two (PS3.5 G.2)
        frame[4] = 64;
        ds.Add(new DicomFragmentSequence(DicomTags.PixelData, VR.OB, DicomBuffer.Empty, [new MemoryBuffer(frame)]));
        new DicomFile(new DicomDataset(), ds, TransferSyntax.RLELossless).Save(path);
        return path;
    }

    internal static string Uid(DicomDataset ds, DicomTag tag) => ds.GetString(tag)?.Trim('\0', ' ') ?? "";
}
