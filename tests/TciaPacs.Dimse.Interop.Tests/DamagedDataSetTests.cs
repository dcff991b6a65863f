using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// C-STOREs whose data sets are damaged (bytes overwritten near the start, where the structure is, or cut short), of
/// corpus files in several encodings, into the real server: each gets a response (a failure says why), the server goes
/// on answering, and what it kept is only whole instances: every stored file reads completely, as many as it
/// acknowledged at most, and nothing is left half-written.
/// </summary>
[NonParallelizable]
public sealed class DamagedDataSetTests
{
    private static readonly string[] Files =
    [
        "transfer-syntax/explicit-vr-le/CT_small.dcm", "transfer-syntax/implicit-vr-le/MR_small_implicit.dcm",
        "transfer-syntax/explicit-vr-be/MR_small_bigendian.dcm", "modality/RT/rtplan.dcm", "modality/SR/sr_document.dcm",
        "modality/SEG/liver.dcm", "modality/US/YBR_422.dcm", "encapsulated/CT0012.not_fragmented_bot_rle.dcm",
        "edge-cases/meta/SC_rgb_jpeg.dcm", "transfer-syntax/jpeg2000/JPEG2000.dcm",
    ];

    private const int CopiesPerFile = 12;

    [Test]
    public async Task Damaged_data_sets_are_answered_and_only_whole_instances_are_kept()
    {
        using var server = new ServerProcess();
        var random = new Random(20261207);
        var statuses = new List<(string Copy, ushort Status, string? Comment)>();
        var aborted = 0;
        foreach (var path in Files)
        {
            var file = DicomFile.Open(Corpus.PathOf(path));
            var sopClass = file.Dataset.GetString(DicomTags.SOPClassUID)!.Trim('\0', ' ');
            var sopInstance = file.Dataset.GetString(DicomTags.SOPInstanceUID)!.Trim('\0', ' ');
            var syntax = file.TransferSyntax.Uid;
            var original = Part10.WriteDataSet(file.Dataset, syntax);
            for (var copy = 0; copy < CopiesPerFile; copy++)
            {
                var damaged = (byte[])original.Clone();
                if (copy % 3 == 0) damaged = damaged[..random.Next(1, damaged.Length)];
                else
                    for (var k = 0; k < 1 + copy % 4; k++) damaged[random.Next(Math.Min(damaged.Length, 4096))] = (byte)random.Next(256);
                var name = $"{path} #{copy}";
                try
                {
                    await using var client = await DicomClient.ConnectAsync("127.0.0.1", server.Port, new AssociateRequest
                    {
                        CalledAe = server.Ae, CallingAe = "DAMAGED",
                        PresentationContexts = DicomClient.Propose([(sopClass, [syntax])]),
                    });
                    var association = client.Association;
                    var context = association.AcceptedContexts(sopClass).Single();
                    var store = DimseCommand.Request(CommandField.CStoreRequest, association.NextMessageId(), sopClass, hasDataSet: true);
                    store.AffectedSopInstanceUid = sopInstance;
                    await foreach (var rsp in association.SendRequestAsync(context.Id, store, (s, ct) => s.WriteAsync(damaged, ct).AsTask()))
                        using (rsp) statuses.Add((name, rsp.Command.Status, rsp.Command.ErrorComment));
                    await client.ReleaseAsync();
                }
                catch (AssociationAbortedException)
                {
                    aborted++;
                }
            }
        }
        TestContext.Out.WriteLine(string.Join('\n', statuses.GroupBy(s => s.Status).Select(g => $"{g.Key:X4}: {g.Count()} (e.g. {g.First().Comment})")));
        Assert.That(statuses.Count + aborted, Is.EqualTo(Files.Length * CopiesPerFile));
        Assert.That(aborted, Is.Zero, "a damaged data set is the instance's failure, not the association's");
        var failures = statuses.Where(s => s.Status >= 0xA000 || (s.Status & 0xF000) == 0xC000 || s.Status == 0x0110).ToList();
        Assert.That(failures, Is.Not.Empty, "damage the server noticed");
        Assert.That(failures.Where(f => string.IsNullOrWhiteSpace(f.Comment)), Is.Empty, "each failure says why");
        var acknowledged = statuses.Count(s => s.Status == 0x0000 || (s.Status & 0xF000) == 0xB000);

        // Still answering.
        var echo = Tciapacs.Run("echo", "127.0.0.1", server.PortText, "--aec", server.Ae);
        Assert.That(echo.ExitCode, Is.Zero, echo.StdOut + echo.StdErr);
        server.Stop();

        var everything = Directory.GetFiles(server.Data, "*", SearchOption.AllDirectories);
        Assert.That(everything.Where(f => f.EndsWith(".part", StringComparison.Ordinal)), Is.Empty, "nothing half-written");
        var spool = Path.Combine(server.Data, "tmp", "dimse");
        Assert.That(Directory.Exists(spool) ? Directory.GetFiles(spool, "*", SearchOption.AllDirectories) : [], Is.Empty, "no spooled data set left behind");
        var stored = Directory.GetFiles(Path.Combine(server.Data, "files"), "*.dcm", SearchOption.AllDirectories);
        Assert.That(stored.Length, Is.InRange(1, acknowledged), "only acknowledged instances are kept");
        foreach (var f in stored)
            Assert.DoesNotThrow(() => DicomFile.Open(f).Dataset.ToList(), f);
    }
}
