using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Ingest compression (<c>Storage.Compression</c>): native images sent by dcmtk's storescu are stored in JPEG-LS
/// Lossless (or HTJ2K Lossless RPCL), smaller, and come back to a native-only getscu byte for byte; what is already
/// compressed, or has no image, is stored as received.
/// </summary>
public sealed class IngestCompressionTests
{
    private static readonly string[] NativeSyntaxes = ["1.2.840.10008.1.2 ", "1.2.840.10008.1.2.1 ", "1.2.840.10008.1.2.2 "];

    [TestCase("JPEGLSLossless")]
    [TestCase("HTJ2KLosslessRPCL")]
    public void Native_images_are_stored_compressed_and_come_back_byte_for_byte(string keyword)
    {
        var work = ServerProcess.TempFolder("ingest-compression");
        try
        {
            var got = Directory.CreateDirectory(Path.Combine(work, "got")).FullName;
            using var server = new ServerProcess($$"""{ "Storage": { "Compression": "{{keyword}}" } }""");
            var syntax = TransferSyntax.Lookup(DicomUids.All.Single(u => u.Keyword == keyword).Value);
            // The same files into a server storing as received: what it holds is each data set as storescu sent it,
            // the reference for what must come back.
            using var reference = new ServerProcess();
            var sent = Corpus.Entries.Where(e => e.DcmtkParses && NativeSyntaxes.Any(e.TransferSyntax.StartsWith)).Select(e => e.FullPath)
                .Append(Corpus.PathOf("transfer-syntax/jpeg-baseline/SC_rgb_dcmtk_+eb+cy+np.dcm")).ToList();
            // -nh: a file storescu cannot send (no context for its class) does not stop the others.
            Parallel.ForEach([server, reference], s => Tciapacs.Dcmtk("storescu", ["-nh", "-aec", s.Ae, "127.0.0.1", s.PortText, .. sent]));
            var stored = RetrieveDecodingTests.StoredFiles(server, _ => true)
                .ToDictionary(s => RetrieveDecodingTests.Uid(s.Header.Dataset, DicomTags.SOPInstanceUID), s => s);
            var asSent = RetrieveDecodingTests.StoredFiles(reference, _ => true)
                .ToDictionary(s => RetrieveDecodingTests.Uid(s.Header.Dataset, DicomTags.SOPInstanceUID), s => s);
            Assert.That(stored.Keys, Is.EquivalentTo(asSent.Keys), "the same instances stored");

            var codec = CodecRegistry.Default.Get(syntax);
            var differences = new List<string>();
            int compressed = 0, compared = 0;
            long sizeBefore = 0, sizeAfter = 0;
            foreach (var (sop, (file, header)) in asSent)
            {
                var original = DicomFile.Open(file);
                var pixelData = original.Dataset.Get(DicomTags.PixelData);
                var image = !original.TransferSyntax.IsEncapsulated && pixelData is not null and not DicomFragmentSequence
                    && TryInfo(original.Dataset) is { } info && codec.CanEncode(info) && pixelData.Buffer.Length == info.TotalSize + (info.TotalSize & 1);
                var s = stored[sop];
                var expected = image ? syntax.Uid : header.TransferSyntax.Uid;
                if (s.Header.TransferSyntax.Uid != expected) differences.Add($"{sop}: stored in {s.Header.TransferSyntax.Uid}, expected {expected}");
                if (!image || s.Header.TransferSyntax.Uid != expected) continue;
                compressed++;
                sizeBefore += pixelData!.Buffer.Length;
                var frames = EncapsulatedFrames.FromDataset(DicomFile.Open(s.File).Dataset);
                sizeAfter += Enumerable.Range(0, frames.Count).Sum(f => (long)frames.GetFrame(f).Length);
                // Decoded for a native-only peer: every attribute and every pixel byte as sent. Colour-by-plane data
                // comes back colour-by-pixel (our encoders write no other), as the codec tests check; not compared here.
                if (original.Dataset.GetInt(DicomTags.PlanarConfiguration) == 1) continue;
                if (RetrieveDecodingTests.GetWithDefaultProposals(server, got, s.Header.Dataset, expected, differences) is not { } received) continue;
                compared++;
                // In implicit VR, the VR of a few attributes (OB or OW) is each reader's inference; the bytes must match.
                var implicitVr = header.TransferSyntax.Uid == TransferSyntax.ImplicitVRLittleEndian.Uid;
                var ours = CorpusRoundTripTests.Normalize(CanonicalTree.FromDataset(DicomFile.Open(received).Dataset), implicitVr);
                var theirs = CorpusRoundTripTests.Normalize(CanonicalTree.FromDataset(original.Dataset), implicitVr);
                // 8-bit pixel data may be OB or OW in Explicit VR Little Endian (PS3.5 A.2); decoded, it is OB, as dcmdjpls writes it.
                if (original.Dataset.GetInt(DicomTags.BitsAllocated) == 8) foreach (var tree in new[] { ours, theirs }) PixelDataNode(tree)?.Remove("vr");
                if (!System.Text.Json.Nodes.JsonNode.DeepEquals(ours, theirs)) differences.Add($"{sop}: {CorpusRoundTripTests.FirstDifference(ours, theirs)}");
            }
            Assert.That(differences, Is.Empty);
            Assert.That(compressed, Is.GreaterThanOrEqualTo(20), "native images stored compressed");
            Assert.That(compared, Is.GreaterThanOrEqualTo(15), "compressed images retrieved and compared");
            Assert.That(sizeAfter, Is.LessThan(sizeBefore * 3 / 4), $"{keyword} pixel data {sizeAfter} bytes, native {sizeBefore}");
            TestContext.Out.WriteLine($"{compressed} instances compressed, {compared} retrieved and compared: pixel data {sizeBefore} → {sizeAfter} bytes");
            Assert.That(Directory.GetFiles(Path.Combine(server.Data, "tmp", "dimse")), Is.Empty, "no spool or decoded copy left");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    private static System.Text.Json.Nodes.JsonObject? PixelDataNode(System.Text.Json.Nodes.JsonArray tree) =>
        tree.OfType<System.Text.Json.Nodes.JsonObject>().FirstOrDefault(n => n["tag"]?.GetValue<string>() == "7FE00010");

    private static PixelDataInfo? TryInfo(DicomDataset ds)
    {
        try { return PixelDataInfo.FromDataset(ds); }
        catch (DicomCodecException) { return null; }
    }
}
