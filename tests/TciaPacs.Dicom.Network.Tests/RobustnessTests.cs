using System.Buffers.Binary;
using System.Net.Sockets;
using NUnit.Framework;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>Hostile and broken peers: each handled with a log line and a clean close, and the server still answers a C-ECHO afterwards.</summary>
public sealed class RobustnessTests
{
    private static byte[] EchoRequest() => PduWriter.Associate(new AssociateRequest
    {
        CalledAe = "SCP", CallingAe = "RAW",
        PresentationContexts = [new PresentationContext(1, SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])],
        UserInformation = new UserInformation { MaxPduLength = 16384 },
    }, isAccept: false);

    [Test]
    public async Task Garbage_bytes_instead_of_a_PDU_get_an_A_ABORT()
    {
        await using var server = new TestServer();
        using (var s = await server.RawAsync())
        {
            await s.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            var answer = await TestServer.ReadToCloseAsync(s, TimeSpan.FromSeconds(10));
            Assert.That(answer, Is.EqualTo(new byte[] { 7, 0, 0, 0, 0, 4, 0, 0, 2, AbortPdu.UnrecognizedPdu }));
        }
        Assert.That(server.Log.All, Does.Contain("not a DICOM association request"));
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
    }

    [Test]
    public async Task A_4_GB_PDU_length_is_aborted_without_allocating_it()
    {
        await using var server = new TestServer();
        using (var s = await server.RawAsync())
        {
            await s.SendAsync(EchoRequest());
            var ac = new byte[6];
            await s.ReceiveAsync(ac);
            Assert.That(ac[0], Is.EqualTo((byte)PduType.AssociateAccept));
            var length = BinaryPrimitives.ReadUInt32BigEndian(ac.AsSpan(2));
            var rest = new byte[length];
            var got = 0;
            while (got < length) got += await s.ReceiveAsync(rest.AsMemory(got));
            await s.SendAsync(new byte[] { 4, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0 });
            var answer = await TestServer.ReadToCloseAsync(s, TimeSpan.FromSeconds(10));
            Assert.That(answer, Is.EqualTo(new byte[] { 7, 0, 0, 0, 0, 4, 0, 0, 2, AbortPdu.InvalidPduParameterValue }));
        }
        Assert.That(server.Log.WaitFor("exceeds the limit"), Does.Contain("exceeds the limit"));
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
    }

    [Test]
    public async Task An_association_dropped_mid_instance_leaves_nothing_behind()
    {
        await using var server = new TestServer();
        const string ct = "1.2.840.10008.5.1.4.1.1.2";
        var client = await server.ConnectAsync([(ct, [TransferSyntax.ExplicitVRLittleEndian.Uid])]);
        var association = client.Association;
        var pc = association.AcceptedContexts(ct).First();
        var rq = DimseCommand.Request(CommandField.CStoreRequest, association.NextMessageId(), ct, true);
        rq.AffectedSopInstanceUid = "1.2.3";
        var sent = new TaskCompletionSource();
        var send = association.SendAsync(pc.Id, rq, async (stream, token) =>
        {
            // The beginning of a 100 MB data set, then the connection goes.
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < 5; i++) await stream.WriteAsync(chunk, token);
            sent.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
        }, CancellationToken.None);
        await sent.Task;
        await Task.Delay(300);
        Assert.That(Directory.GetFiles(server.Spool), Has.Length.EqualTo(1), "the data set is being spooled");
        await client.DisposeAsync();
        try { await send; } catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException) { }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Directory.GetFiles(server.Spool).Length > 0 && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(100);
        Assert.That(Directory.GetFiles(server.Spool), Is.Empty, "the partial spool file is deleted");
        Assert.That(server.Provider.Stored, Is.Empty, "nothing half-stored");
        Assert.That(server.Log.WaitFor(") ended: "), Does.Contain("TESTSCU->SCP"));
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
    }

    [Test]
    public async Task A_peer_that_never_releases_is_aborted_after_the_idle_timeout()
    {
        await using var server = new TestServer(new AssociationOptions { IdleTimeout = TimeSpan.FromSeconds(1) });
        using (var s = await server.RawAsync())
        {
            await s.SendAsync(EchoRequest());
            var answer = await TestServer.ReadToCloseAsync(s, TimeSpan.FromSeconds(10));
            Assert.That(answer[0], Is.EqualTo((byte)PduType.AssociateAccept));
            Assert.That(answer[^10..], Is.EqualTo(new byte[] { 7, 0, 0, 0, 0, 4, 0, 0, 2, 0 }), "A-ABORT from the provider, then close");
        }
        Assert.That(server.Log.WaitFor("idle"), Does.Contain("idle"));
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
    }

    [Test]
    public async Task A_connection_without_association_request_is_closed_by_ARTIM()
    {
        await using var server = new TestServer(new AssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(1) });
        using (var s = await server.RawAsync())
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var answer = await TestServer.ReadToCloseAsync(s, TimeSpan.FromSeconds(10));
            Assert.That(answer, Is.Empty);
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        }
        Assert.That(server.Log.All, Does.Contain("ARTIM"));
    }

    [Test]
    public async Task Fifty_simultaneous_associations_each_echo_and_close_cleanly()
    {
        await using var server = new TestServer();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(server.EchoAsync)));
        Assert.That(statuses, Is.All.EqualTo(DimseStatus.Success));
        server.Log.WaitFor("ended: released", 50);
        Assert.That(server.Log.Lines.Count(l => l.Contains("ended: released", StringComparison.Ordinal)), Is.EqualTo(50));
        Assert.That(server.Server.ActiveAssociations, Is.Zero);
    }

    [Test]
    public async Task Beyond_the_association_limit_a_transient_reject_local_limit_exceeded()
    {
        await using var server = new TestServer(maxAssociations: 1);
        await using var first = await server.ConnectAsync([(SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])]);
        var ex = Assert.ThrowsAsync<AssociationRejectedException>(() => server.ConnectAsync([(SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])]));
        Assert.That(ex!.Reject, Is.EqualTo(new AssociateReject(AssociateReject.Transient, AssociateReject.SourceProviderPresentation, AssociateReject.LocalLimitExceeded)));
        await first.ReleaseAsync();
        await Task.Delay(200);
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
    }

    [Test]
    public async Task The_screen_rejects_an_unknown_called_AE_with_reason_7()
    {
        await using var server = new TestServer(screen: rq => rq.CalledAe == "SCP" ? null : new AssociateReject(1, 1, AssociateReject.CalledAeNotRecognized));
        var ex = Assert.ThrowsAsync<AssociationRejectedException>(() => server.ConnectAsync([(SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])], calledAe: "NOPE"));
        Assert.That(ex!.Reject, Is.EqualTo(new AssociateReject(1, 1, 7)));
        Assert.That(server.Log.All, Does.Contain("called AE title not recognized"));
    }

    [Test]
    public async Task A_PDV_on_a_context_that_was_not_accepted_aborts()
    {
        await using var server = new TestServer();
        using var s = await server.RawAsync();
        await s.SendAsync(EchoRequest());
        await Task.Delay(200);
        var command = CommandCodec.Encode(DimseCommand.Request(CommandField.CEchoRequest, 1, SopClasses.Verification, false));
        var pdu = new byte[PduWriter.DataHeadersLength + command.Length];
        PduWriter.DataHeaders(pdu, command.Length, contextId: 9, isCommand: true, isLast: true);
        command.CopyTo(pdu, PduWriter.DataHeadersLength);
        await s.SendAsync(pdu);
        var answer = await TestServer.ReadToCloseAsync(s, TimeSpan.FromSeconds(10));
        Assert.That(answer[^10..], Is.EqualTo(new byte[] { 7, 0, 0, 0, 0, 4, 0, 0, 2, AbortPdu.InvalidPduParameterValue }));
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
    }
}
