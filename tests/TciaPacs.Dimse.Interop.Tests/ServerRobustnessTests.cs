using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>The real server against broken and hostile peers: each logged and closed cleanly, and a C-ECHO right after succeeds.</summary>
[NonParallelizable]
public sealed class ServerRobustnessTests
{
    private ServerProcess _server = null!;

    [OneTimeSetUp]
    public void Start() => _server = new ServerProcess("""{ "Dimse": { "IdleTimeoutSeconds": 2, "ArtimTimeoutSeconds": 2 } }""");

    [OneTimeTearDown]
    public void Stop() => _server.Dispose();

    private void AssertEchoSucceeds()
    {
        var r = Tciapacs.Dcmtk("echoscu", "-aec", _server.Ae, "127.0.0.1", _server.PortText);
        Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
    }

    private Socket Raw()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Connect(IPAddress.Loopback, _server.Port);
        s.ReceiveTimeout = 15000;
        return s;
    }

    private static byte[] ReadToClose(Socket s)
    {
        var all = new MemoryStream();
        var buffer = new byte[65536];
        try
        {
            int n;
            while ((n = s.Receive(buffer)) > 0) all.Write(buffer, 0, n);
        }
        catch (SocketException) { }
        return all.ToArray();
    }

    [Test]
    public void Garbage_bytes()
    {
        using (var s = Raw())
        {
            s.Send("\x16\x03\x01 hello, not DICOM"u8.ToArray());
            Assert.That(ReadToClose(s), Is.EqualTo(new byte[] { 7, 0, 0, 0, 0, 4, 0, 0, 2, 1 }));
        }
        Assert.That(_server.WaitForLog("not a DICOM association request"), Is.True);
        AssertEchoSucceeds();
    }

    [Test]
    public void A_PDU_length_of_4_GB()
    {
        using (var s = Raw())
        {
            s.Send(PduWriter.Associate(new AssociateRequest
            {
                CalledAe = _server.Ae, CallingAe = "RAW",
                PresentationContexts = [new PresentationContext(1, SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])],
            }, false));
            Thread.Sleep(300);
            s.Send([4, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]);
            var answer = ReadToClose(s);
            Assert.That(answer[0], Is.EqualTo((byte)PduType.AssociateAccept));
            Assert.That(answer[^10..], Is.EqualTo(new byte[] { 7, 0, 0, 0, 0, 4, 0, 0, 2, 6 }));
        }
        Assert.That(_server.WaitForLog("exceeds the limit"), Is.True);
        AssertEchoSucceeds();
    }

    [Test]
    public async Task An_association_dropped_in_the_middle_of_a_100_MB_instance_stores_nothing()
    {
        const string sop = "1.2.826.0.1.3680043.10.544.99.1";
        var client = await DicomClient.ConnectAsync("127.0.0.1", _server.Port, new AssociateRequest
        {
            CalledAe = _server.Ae, CallingAe = "DROPPER",
            PresentationContexts = [new PresentationContext(1, "1.2.840.10008.5.1.4.1.1.7", [TransferSyntax.ExplicitVRLittleEndian.Uid])],
        });
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, "1.2.840.10008.5.1.4.1.1.7");
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, sop);
        ds.AddOrUpdate(DicomTags.StudyInstanceUID, VR.UI, sop + ".1");
        ds.AddOrUpdate(DicomTags.SeriesInstanceUID, VR.UI, sop + ".2");
        var head = Part10.WriteDataSet(ds, TransferSyntax.ExplicitVRLittleEndian.Uid);
        // (7FE0,0010) OW of 100 MB, of which 30 MB are sent before the connection drops.
        byte[] pixelHeader = [0xE0, 0x7F, 0x10, 0x00, (byte)'O', (byte)'W', 0, 0, .. BitConverter.GetBytes(100 * 1024 * 1024)];
        var rq = DimseCommand.Request(CommandField.CStoreRequest, 1, "1.2.840.10008.5.1.4.1.1.7", true);
        rq.AffectedSopInstanceUid = sop;
        var halfway = new TaskCompletionSource();
        var send = client.Association.SendAsync(1, rq, async (stream, ct) =>
        {
            await stream.WriteAsync(head, ct);
            await stream.WriteAsync(pixelHeader, ct);
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < 30; i++) await stream.WriteAsync(chunk, ct);
            halfway.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }, CancellationToken.None);
        await halfway.Task;
        await Task.Delay(500);
        await client.DisposeAsync();
        try { await send; } catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or AssociationAbortedException) { }
        Assert.That(_server.WaitForLog("DROPPER->TCIAPACS"), Is.True);
        Assert.That(_server.WaitForLog("Association DROPPER->TCIAPACS (", 2), Is.True, "accepted and ended lines");
        var spool = Path.Combine(_server.Data, "tmp", "dimse");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Directory.GetFiles(spool).Length > 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(100);
        Assert.That(Directory.GetFiles(spool), Is.Empty, "the partial spool file is gone");
        var q = Tciapacs.Run("query", "--data", _server.Data, "--level", "IMAGE", $"SOPInstanceUID={sop}");
        Assert.That(q.StdOut + q.StdErr, Does.Contain("0 image result(s)"));
        AssertEchoSucceeds();
    }

    [Test]
    public async Task A_peer_that_never_releases_is_aborted_on_idle_timeout()
    {
        await using var client = await DicomClient.ConnectAsync("127.0.0.1", _server.Port, new AssociateRequest
        {
            CalledAe = _server.Ae, CallingAe = "SILENT",
            PresentationContexts = [new PresentationContext(1, SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])],
        }, new AssociationOptions { IdleTimeout = TimeSpan.FromMinutes(5) });
        var closed = Task.Delay(Timeout.Infinite, client.Association.Closed).ContinueWith(_ => { }, TaskScheduler.Default);
        Assert.That(await Task.WhenAny(closed, Task.Delay(TimeSpan.FromSeconds(15))), Is.SameAs(closed), "the server ends the association");
        Assert.That(client.Association.EndReason, Does.Contain("aborted by the peer"));
        Assert.That(_server.WaitForLog("SILENT->TCIAPACS"), Is.True);
        Assert.That(_server.Log, Does.Contain("idle for"));
        AssertEchoSucceeds();
    }

    [Test]
    public void Fifty_simultaneous_echoscu_associations()
    {
        var before = ServerProcess.Count(_server.Log, "ECHOSCU->TCIAPACS") ;
        var results = new ExternalToolResult[50];
        Parallel.For(0, 50, new ParallelOptions { MaxDegreeOfParallelism = 50 }, i =>
        {
            var r = Tciapacs.Dcmtk("echoscu", "-aec", _server.Ae, "127.0.0.1", _server.PortText);
            results[i] = new ExternalToolResult(r.ExitCode, r.StdOut + r.StdErr);
        });
        Assert.That(results.Select(r => r.ExitCode), Is.All.Zero, string.Join("\n", results.Where(r => r.ExitCode != 0).Select(r => r.Output)));
        // Two lines per association: accepted, ended (released).
        Assert.That(_server.WaitForLog("ECHOSCU->TCIAPACS", before + 100), Is.True);
        AssertEchoSucceeds();
    }

    private sealed record ExternalToolResult(int ExitCode, string Output);
}
