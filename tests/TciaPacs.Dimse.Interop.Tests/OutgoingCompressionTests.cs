using System.Globalization;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Codecs;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// <c>Dimse.Peers[].Compression</c>: a peer over a slow link gets native images losslessly compressed when it accepts
/// the syntax. C-MOVE to storescp accepting every syntax (<c>+xa</c>): CT and MR arrive in JPEG-LS and dcmdjpls gives
/// back the pixels stored; a 1-bit segmentation, which JPEG-LS cannot hold, and a JPEG baseline image arrive as stored.
/// The same peer taking native syntaxes only, and a peer without the setting, get them as stored. C-GET by getscu
/// preferring JPEG-LS, as a peer with the setting: compressed too.
/// </summary>
public sealed class OutgoingCompressionTests
{
    [Test]
    public void Native_images_reach_a_peer_configured_for_it_compressed()
    {
        var work = ServerProcess.TempFolder("outgoing-compression");
        try
        {
            string Folder(string name) => Directory.CreateDirectory(Path.Combine(work, name)).FullName;
            var (compressed, plain, nativeOnly, got) = (Folder("compressed"), Folder("plain"), Folder("native-only"), Folder("got"));
            int p1 = ServerProcess.FreePort(), p2 = ServerProcess.FreePort(), p3 = ServerProcess.FreePort();
            string Port(int p) => p.ToString(CultureInfo.InvariantCulture);
            using var slow = new DcmtkScp("storescp", ["+xa", "-aet", "SLOWSITE", "-od", compressed, Port(p1)], p1);
            using var near = new DcmtkScp("storescp", ["+xa", "-aet", "NEARSITE", "-od", plain, Port(p2)], p2);
            using var old = new DcmtkScp("storescp", ["-aet", "OLDSITE", "-od", nativeOnly, Port(p3)], p3);
            using var server = new ServerProcess($$"""
                {
                  "Dimse": {
                    "Peers": [
                      { "AeTitle": "SLOWSITE", "Host": "127.0.0.1", "Port": {{p1}}, "Compression": "JPEGLSLossless" },
                      { "AeTitle": "NEARSITE", "Host": "127.0.0.1", "Port": {{p2}} },
                      { "AeTitle": "OLDSITE", "Host": "127.0.0.1", "Port": {{p3}}, "Compression": "JPEGLSLossless" },
                      { "AeTitle": "GETSCU", "Host": "127.0.0.1", "Port": 104, "Compression": "JPEGLSLossless" }
                    ]
                  }
                }
                """);
            var sources = new[]
            {
                "transfer-syntax/explicit-vr-le/CT_small.dcm", "transfer-syntax/implicit-vr-le/MR_small_implicit.dcm",
                "modality/SEG/liver.dcm", "transfer-syntax/jpeg-baseline/SC_rgb_dcmtk_+eb+cy+np.dcm",
            }.Select(Corpus.PathOf).ToList();
            var store = Tciapacs.Run(["store", "127.0.0.1", server.PortText, "--aec", server.Ae, .. sources]);
            Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
            var originals = sources.Select(p => DicomFile.Open(p)).ToDictionary(f => RetrieveDecodingTests.Uid(f.Dataset, DicomTags.SOPInstanceUID), f => f);
            foreach (var destination in new[] { "SLOWSITE", "NEARSITE", "OLDSITE" })
                foreach (var study in originals.Values.Select(f => RetrieveDecodingTests.Uid(f.Dataset, DicomTags.StudyInstanceUID)).Distinct())
                {
                    var move = Tciapacs.Dcmtk("movescu", "-S", "-aec", server.Ae, "-aem", destination, "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=STUDY", "-k", $"StudyInstanceUID={study}");
                    Assert.That(move.ExitCode, Is.Zero, move.StdOut + move.StdErr);
                }

            DicomFile Received(string folder, string sop) =>
                DicomFile.Open(Directory.GetFiles(folder).SingleOrDefault(f => f.EndsWith("." + sop, StringComparison.Ordinal)) ?? throw new AssertionException($"{sop} did not arrive in {folder}"));
            foreach (var (sop, original) in originals)
            {
                var modality = original.Dataset.GetString(DicomTags.Modality);
                var toSlow = Received(compressed, sop);
                var expectCompressed = modality is "CT" or "MR";
                Assert.That(toSlow.TransferSyntax.Uid, Is.EqualTo(expectCompressed ? TransferSyntax.JPEGLSLossless.Uid : original.TransferSyntax.Uid), $"{modality} to the peer that wants JPEG-LS");
                Assert.That(Received(plain, sop).TransferSyntax.Uid, Is.EqualTo(original.TransferSyntax.Uid), $"{modality} to a peer without the setting: as stored");
                if (expectCompressed)
                {
                    Assert.That(Received(nativeOnly, sop).TransferSyntax.IsEncapsulated, Is.False, $"{modality} to a peer that accepts native syntaxes only");
                    // dcmtk's decoder gives back the pixels we hold.
                    var decoded = Path.Combine(work, $"decoded-{modality}.dcm");
                    var r = ExternalTool.Run(ExternalTool.Require("dcmdjpls"), [Directory.GetFiles(compressed).Single(f => f.EndsWith("." + sop, StringComparison.Ordinal)), decoded]);
                    Assert.That(r.ExitCode, Is.Zero, r.StdErr);
                    Assert.That(DicomFile.Open(decoded).Dataset.GetBytes(DicomTags.PixelData).ToArray(), Is.EqualTo(original.Dataset.GetBytes(DicomTags.PixelData).ToArray()), modality);
                }
            }
            Assert.That(server.Log, Does.Not.Contain("sub-operation for"), "no sub-operation failed");

            // C-GET by a known peer with the setting, getscu preferring JPEG-LS: the CT comes compressed.
            var ct = originals.Values.Single(f => f.Dataset.GetString(DicomTags.Modality) == "CT");
            var get = Tciapacs.Dcmtk("getscu", "-aet", "GETSCU", "-aec", server.Ae, "+xt", "-od", got, "127.0.0.1", server.PortText,
                "-k", "QueryRetrieveLevel=STUDY", "-k", $"StudyInstanceUID={RetrieveDecodingTests.Uid(ct.Dataset, DicomTags.StudyInstanceUID)}");
            Assert.That(get.ExitCode, Is.Zero, get.StdOut + get.StdErr);
            var gotCt = Received(got, RetrieveDecodingTests.Uid(ct.Dataset, DicomTags.SOPInstanceUID));
            Assert.That(gotCt.TransferSyntax.Uid, Is.EqualTo(TransferSyntax.JPEGLSLossless.Uid), "C-GET by the peer that wants JPEG-LS");
            Assert.That(new DicomTranscoder().Transcode(gotCt, TransferSyntax.ExplicitVRLittleEndian).Dataset.GetBytes(DicomTags.PixelData).ToArray(),
                Is.EqualTo(ct.Dataset.GetBytes(DicomTags.PixelData).ToArray()));
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }
}
