using System.Buffers.Binary;
using System.Net.Sockets;
using NUnit.Framework;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>
/// The upper layer's state machine (PS3.8 9.2, Table 9-10), event by event. As acceptor, in the states a peer can drive
/// us into: Sta2 (transport open, awaiting A-ASSOCIATE-RQ), Sta6 (association established) and Sta13 (after our
/// A-ASSOCIATE-RJ). As requestor, against a raw acceptor written here: Sta5 (awaiting A-ASSOCIATE-AC), Sta6 (the peer
/// asks to release) and Sta7 (awaiting A-RELEASE-RP). Each PDU is sent raw; the test checks what comes back (an
/// A-ABORT, an A-RELEASE-RP, or nothing), that the connection is closed (or kept, where the table keeps it), and, as
/// acceptor, that the server still answers a C-ECHO afterwards.
/// </summary>
public sealed class StateMachineTests
{
    public enum Answer { Abort, Silence, ReleaseResponse, KeepsAssociation }

    private static byte[] AssociateRequest() => PduWriter.Associate(new AssociateRequest
    {
        CalledAe = "SCP", CallingAe = "RAW",
        PresentationContexts = [new PresentationContext(1, SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])],
        UserInformation = new UserInformation { MaxPduLength = 16384 },
    }, isAccept: false);

    private static byte[] AssociateAccept() => PduWriter.Associate(new AssociateRequest
    {
        CalledAe = "SCP", CallingAe = "RAW",
        PresentationContexts = [new PresentationContext(1, SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])],
        UserInformation = new UserInformation { MaxPduLength = 16384 },
    }, isAccept: true);

    /// <summary>A P-DATA-TF with one complete C-ECHO-RQ command on presentation context 1.</summary>
    private static byte[] EchoData()
    {
        var command = CommandCodec.Encode(DimseCommand.Request(CommandField.CEchoRequest, 1, SopClasses.Verification, hasDataSet: false));
        var pdu = new byte[PduWriter.DataHeadersLength + command.Length];
        PduWriter.DataHeaders(pdu, command.Length, 1, isCommand: true, isLast: true);
        command.CopyTo(pdu.AsSpan(PduWriter.DataHeadersLength));
        return pdu;
    }

    private static byte[] Event(string name) => name switch
    {
        "A-ASSOCIATE-RQ" => AssociateRequest(),
        "A-ASSOCIATE-AC" => AssociateAccept(),
        "A-ASSOCIATE-RJ" => PduWriter.Reject(new AssociateReject(AssociateReject.Permanent, AssociateReject.SourceUser, AssociateReject.NoReasonGiven)),
        "P-DATA-TF" => EchoData(),
        "A-RELEASE-RQ" => PduWriter.ReleaseRequest(),
        "A-RELEASE-RP" => PduWriter.ReleaseResponse(),
        "A-ABORT" => PduWriter.Abort(new AbortPdu(AbortPdu.SourceUser, AbortPdu.NotSpecified)),
        "unrecognized PDU type 0x55" => [0x55, 0, 0, 0, 0, 4, 0, 0, 0, 0],
        "A-ASSOCIATE-RQ too short" => [(byte)PduType.AssociateRequest, 0, 0, 0, 0, 2, 0, 1],
        _ => throw new ArgumentException(name),
    };

    // Sta2: everything but an A-ASSOCIATE-RQ is AA-1 (A-ABORT, close), an A-ABORT is AA-2 (close, nothing sent).
    [TestCase("A-ASSOCIATE-AC", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Sta2 Evt3 A-ASSOCIATE-AC: AA-1")]
    [TestCase("A-ASSOCIATE-RJ", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Sta2 Evt4 A-ASSOCIATE-RJ: AA-1")]
    [TestCase("P-DATA-TF", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Sta2 Evt10 P-DATA-TF: AA-1")]
    [TestCase("A-RELEASE-RQ", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Sta2 Evt12 A-RELEASE-RQ: AA-1")]
    [TestCase("A-RELEASE-RP", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Sta2 Evt13 A-RELEASE-RP: AA-1")]
    [TestCase("A-ABORT", Answer.Silence, 0, TestName = "Sta2 Evt16 A-ABORT: AA-2")]
    [TestCase("unrecognized PDU type 0x55", Answer.Abort, AbortPdu.UnrecognizedPdu, TestName = "Sta2 Evt19 unrecognized PDU: AA-1")]
    [TestCase("A-ASSOCIATE-RQ too short", Answer.Abort, -1, TestName = "Sta2 Evt19 invalid A-ASSOCIATE-RQ: AA-1")]
    public async Task In_Sta2(string pdu, Answer expected, int reason)
    {
        await using var server = new TestServer(new AssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(2) });
        using (var s = await server.RawAsync())
        {
            await s.SendAsync(Event(pdu));
            var answer = await TestServer.ReadToCloseAsync(s, TimeSpan.FromSeconds(10));
            Check(answer, expected, reason);
        }
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
    }

    // Sta6: a second association PDU or a stray release answer is AA-8 (A-ABORT from the provider, close); A-ABORT is
    // AA-3 (close); A-RELEASE-RQ is AR-2 then AR-4 (A-RELEASE-RP); P-DATA-TF is DT-2 (the association goes on).
    [TestCase("A-ASSOCIATE-RQ", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Sta6 Evt6 A-ASSOCIATE-RQ: AA-8")]
    [TestCase("A-ASSOCIATE-AC", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Sta6 Evt3 A-ASSOCIATE-AC: AA-8")]
    [TestCase("A-ASSOCIATE-RJ", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Sta6 Evt4 A-ASSOCIATE-RJ: AA-8")]
    [TestCase("A-RELEASE-RP", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Sta6 Evt13 A-RELEASE-RP: AA-8")]
    [TestCase("unrecognized PDU type 0x55", Answer.Abort, AbortPdu.UnrecognizedPdu, TestName = "Sta6 Evt19 unrecognized PDU: AA-8")]
    [TestCase("A-ABORT", Answer.Silence, 0, TestName = "Sta6 Evt16 A-ABORT: AA-3")]
    [TestCase("A-RELEASE-RQ", Answer.ReleaseResponse, 0, TestName = "Sta6 Evt12 A-RELEASE-RQ: AR-2, AR-4")]
    [TestCase("P-DATA-TF", Answer.KeepsAssociation, 0, TestName = "Sta6 Evt10 P-DATA-TF: DT-2")]
    public async Task In_Sta6(string pdu, Answer expected, int reason)
    {
        await using var server = new TestServer(new AssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(2) });
        using (var s = await server.RawAsync())
        {
            await s.SendAsync(AssociateRequest());
            var ac = await ReadPduAsync(s);
            Assert.That(ac[0], Is.EqualTo((byte)PduType.AssociateAccept));
            await s.SendAsync(Event(pdu));
            if (expected == Answer.KeepsAssociation)
            {
                // The C-ECHO-RQ is answered (a P-DATA-TF back) and the association is still there for a release.
                var response = await ReadPduAsync(s);
                Assert.That(response[0], Is.EqualTo((byte)PduType.DataTransfer));
                await s.SendAsync(PduWriter.ReleaseRequest());
                expected = Answer.ReleaseResponse;
            }
            var answer = await TestServer.ReadToCloseAsync(s, TimeSpan.FromSeconds(10));
            Check(answer, expected, reason);
        }
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
    }

    // Sta13 after our A-ASSOCIATE-RJ: a PDU is ignored (AA-6), an A-ASSOCIATE-RQ or an unrecognized PDU is answered with
    // an A-ABORT (AA-7), and the connection stays until the requestor closes it, sends an A-ABORT (AA-2) or ARTIM expires.
    // ARTIM is 30 s here, so a close within the test's 10 s is not the timer's.
    [TestCase("P-DATA-TF", TestName = "Sta13 Evt10 P-DATA-TF: AA-6")]
    [TestCase("A-RELEASE-RQ", TestName = "Sta13 Evt12 A-RELEASE-RQ: AA-6")]
    [TestCase("A-RELEASE-RP", TestName = "Sta13 Evt13 A-RELEASE-RP: AA-6")]
    [TestCase("A-ASSOCIATE-AC", TestName = "Sta13 Evt3 A-ASSOCIATE-AC: AA-6")]
    [TestCase("A-ASSOCIATE-RJ", TestName = "Sta13 Evt4 A-ASSOCIATE-RJ: AA-6")]
    public async Task In_Sta13_a_PDU_is_ignored(string pdu)
    {
        await using var server = RejectingServer(TimeSpan.FromSeconds(30));
        using (var s = await RejectedAsync(server))
        {
            await s.SendAsync(Event(pdu));
            // Nothing comes back for it: the next thing the server sends is the A-ABORT answering a new request (AA-7),
            // which also shows the connection was kept.
            await s.SendAsync(AssociateRequest());
            var abort = await ReadPduAsync(s);
            Check(abort, Answer.Abort, AbortPdu.UnexpectedPdu);
            await s.SendAsync(Event("A-ABORT"));
            var (rest, closed) = await TestServer.ReadUntilCloseAsync(s, TimeSpan.FromSeconds(10));
            Assert.That(rest, Is.Empty);
            Assert.That(closed, Is.True, "an A-ABORT in Sta13 closes the connection (AA-2)");
        }
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
    }

    [TestCase("A-ASSOCIATE-RQ", AbortPdu.UnexpectedPdu, TestName = "Sta13 Evt6 A-ASSOCIATE-RQ: AA-7")]
    [TestCase("unrecognized PDU type 0x55", AbortPdu.UnrecognizedPdu, TestName = "Sta13 Evt19 unrecognized PDU: AA-7")]
    public async Task In_Sta13_an_A_ABORT_answers(string pdu, int reason)
    {
        await using var server = RejectingServer(TimeSpan.FromSeconds(30));
        using (var s = await RejectedAsync(server))
        {
            await s.SendAsync(Event(pdu));
            Check(await ReadPduAsync(s), Answer.Abort, reason);
            // Still Sta13: the connection is open until the requestor closes it.
            var (more, closed) = await TestServer.ReadUntilCloseAsync(s, TimeSpan.FromMilliseconds(500));
            Assert.That(more, Is.Empty);
            Assert.That(closed, Is.False, "AA-7 keeps Sta13: the server waits for the requestor to close");
        }
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
    }

    [Test(Description = "Sta13 Evt18 ARTIM expired: AA-2")]
    public async Task In_Sta13_ARTIM_closes_a_connection_the_requestor_keeps()
    {
        await using var server = RejectingServer(TimeSpan.FromSeconds(1));
        using var s = await RejectedAsync(server);
        var (rest, closed) = await TestServer.ReadUntilCloseAsync(s, TimeSpan.FromSeconds(10));
        Assert.That(rest, Is.Empty, "nothing after the A-ASSOCIATE-RJ");
        Assert.That(closed, Is.True);
    }

    private static TestServer RejectingServer(TimeSpan artim) =>
        new(new AssociationOptions { ArtimTimeout = artim },
            screen: rq => rq.CallingAe == "RAW" ? new AssociateReject(AssociateReject.Permanent, AssociateReject.SourceUser, AssociateReject.CallingAeNotRecognized) : null);

    /// <summary>A raw connection whose A-ASSOCIATE-RQ the server has just rejected (Sta13 on its side).</summary>
    private static async Task<Socket> RejectedAsync(TestServer server)
    {
        var s = await server.RawAsync();
        await s.SendAsync(AssociateRequest());
        var rj = await ReadPduAsync(s);
        Assert.That(rj[0], Is.EqualTo((byte)PduType.AssociateReject));
        Assert.That(rj[9], Is.EqualTo(AssociateReject.CallingAeNotRecognized));
        return s;
    }

    // Requestor, Sta5 (A-ASSOCIATE-RQ sent): an A-ASSOCIATE-RJ is AE-4 (close, nothing sent); A-ABORT is AA-3 (close);
    // any other PDU is AA-8 (A-ABORT from the provider, close). Either way ConnectAsync throws, saying why.
    [TestCase("A-ASSOCIATE-RJ", Answer.Silence, 0, TestName = "Requestor Sta5 Evt4 A-ASSOCIATE-RJ: AE-4")]
    [TestCase("A-ABORT", Answer.Silence, 0, TestName = "Requestor Sta5 Evt16 A-ABORT: AA-3")]
    [TestCase("A-ASSOCIATE-RQ", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Requestor Sta5 Evt6 A-ASSOCIATE-RQ: AA-8")]
    [TestCase("P-DATA-TF", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Requestor Sta5 Evt10 P-DATA-TF: AA-8")]
    [TestCase("A-RELEASE-RQ", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Requestor Sta5 Evt12 A-RELEASE-RQ: AA-8")]
    [TestCase("A-RELEASE-RP", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Requestor Sta5 Evt13 A-RELEASE-RP: AA-8")]
    [TestCase("unrecognized PDU type 0x55", Answer.Abort, AbortPdu.UnrecognizedPdu, TestName = "Requestor Sta5 Evt19 unrecognized PDU: AA-8")]
    public async Task Requestor_in_Sta5(string pdu, Answer expected, int reason)
    {
        using var acceptor = new RawAcceptor();
        var connecting = acceptor.ConnectAsync(TimeSpan.FromSeconds(30));
        using var s = await acceptor.AcceptAsync();
        Assert.That((await ReadPduAsync(s))[0], Is.EqualTo((byte)PduType.AssociateRequest));
        await s.SendAsync(Event(pdu));
        var error = Assert.CatchAsync(async () => await connecting);
        Assert.That(error, pdu == "A-ASSOCIATE-RJ" ? Is.InstanceOf<AssociationRejectedException>() : Is.InstanceOf<AssociationAbortedException>());
        var (answer, closed) = await TestServer.ReadUntilCloseAsync(s, TimeSpan.FromSeconds(10));
        Check(answer, expected, reason);
        Assert.That(closed, Is.True);
    }

    [Test(Description = "Requestor Sta5 Evt17 transport closed: AA-4")]
    public async Task Requestor_in_Sta5_sees_the_connection_close()
    {
        using var acceptor = new RawAcceptor();
        var connecting = acceptor.ConnectAsync(TimeSpan.FromSeconds(30));
        using (var s = await acceptor.AcceptAsync())
        {
            await ReadPduAsync(s);
            s.Shutdown(SocketShutdown.Both);
        }
        var error = Assert.CatchAsync<AssociationAbortedException>(async () => await connecting);
        Assert.That(error!.Message, Does.Contain("closed"));
    }

    [Test(Description = "Requestor Sta5 Evt18 ARTIM expired: AA-2")]
    public async Task Requestor_in_Sta5_gives_up_at_ARTIM()
    {
        using var acceptor = new RawAcceptor();
        var connecting = acceptor.ConnectAsync(TimeSpan.FromSeconds(1));
        using var s = await acceptor.AcceptAsync();
        await ReadPduAsync(s);
        var error = Assert.CatchAsync<AssociationAbortedException>(async () => await connecting);
        Assert.That(error!.Message, Does.Contain("no answer to A-ASSOCIATE-RQ"));
        var (answer, closed) = await TestServer.ReadUntilCloseAsync(s, TimeSpan.FromSeconds(10));
        Assert.That(answer, Is.Empty, "AA-2 closes without an A-ABORT");
        Assert.That(closed, Is.True);
    }

    [Test(Description = "Requestor Sta6 Evt12 A-RELEASE-RQ: AR-2, AR-4")]
    public async Task Requestor_in_Sta6_answers_the_peer_s_release()
    {
        using var acceptor = new RawAcceptor();
        var (association, s) = await acceptor.EstablishAsync();
        await using (association)
        using (s)
        {
            await s.SendAsync(PduWriter.ReleaseRequest());
            Check(await ReadPduAsync(s), Answer.ReleaseResponse, 0);
            // AR-4 leaves the requestor in Sta13: closing is up to the one who asked for the release (AR-3).
            s.Shutdown(SocketShutdown.Both);
            Assert.That(association.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10)), Is.True, "the association ended on the close");
            Assert.That(association.Association.EndReason, Is.Not.Null);
        }
    }

    // Requestor, Sta7 (A-RELEASE-RQ sent): P-DATA-TF is AR-7 (still Sta7) and A-RELEASE-RQ a release collision
    // (AR-8, then A-RELEASE-RP); both end with the peer's A-RELEASE-RP. A-ABORT is AA-3 (close, nothing sent); an
    // association PDU is AA-8. The release returns in each case, well before ARTIM (30 s).
    [TestCase("P-DATA-TF", Answer.Silence, 0, TestName = "Requestor Sta7 Evt10 P-DATA-TF: AR-7")]
    [TestCase("A-RELEASE-RQ", Answer.ReleaseResponse, 0, TestName = "Requestor Sta7 Evt12 A-RELEASE-RQ: AR-8 (collision)")]
    [TestCase("A-ABORT", Answer.Silence, 0, TestName = "Requestor Sta7 Evt16 A-ABORT: AA-3")]
    [TestCase("A-ASSOCIATE-AC", Answer.Abort, AbortPdu.UnexpectedPdu, TestName = "Requestor Sta7 Evt3 A-ASSOCIATE-AC: AA-8")]
    public async Task Requestor_in_Sta7(string pdu, Answer expected, int reason)
    {
        using var acceptor = new RawAcceptor();
        var (association, s) = await acceptor.EstablishAsync();
        await using (association)
        using (s)
        {
            var releasing = association.ReleaseAsync();
            Assert.That((await ReadPduAsync(s))[0], Is.EqualTo((byte)PduType.ReleaseRequest));
            await s.SendAsync(Event(pdu));
            byte[] answer;
            if (pdu == "P-DATA-TF")
            {
                // The C-ECHO-RQ is indicated to the requestor (who refuses it: a P-DATA-TF back), then the release ends.
                Assert.That((await ReadPduAsync(s))[0], Is.EqualTo((byte)PduType.DataTransfer));
                await s.SendAsync(PduWriter.ReleaseResponse());
                (answer, _) = await TestServer.ReadUntilCloseAsync(s, TimeSpan.FromSeconds(10));
            }
            else if (pdu == "A-RELEASE-RQ")
            {
                answer = await ReadPduAsync(s);
                try { await s.SendAsync(PduWriter.ReleaseResponse()); } catch (SocketException) { } // it may have closed already
            }
            else (answer, _) = await TestServer.ReadUntilCloseAsync(s, TimeSpan.FromSeconds(10));
            Assert.That(releasing.Wait(TimeSpan.FromSeconds(10)), Is.True, "the release returned");
            Check(answer, expected, reason);
        }
    }

    /// <summary>A TCP listener that plays the acceptor by hand, for the requestor's side of the table.</summary>
    private sealed class RawAcceptor : IDisposable
    {
        private readonly TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);

        public RawAcceptor() => _listener.Start();

        private int Port => ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;

        public Task<Client.ClientAssociation> ConnectAsync(TimeSpan artim) => Client.DicomClient.ConnectAsync("127.0.0.1", Port, new AssociateRequest
        {
            CalledAe = "SCP", CallingAe = "RAW",
            PresentationContexts = [new PresentationContext(1, SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])],
        }, new AssociationOptions { ArtimTimeout = artim });

        public async Task<Socket> AcceptAsync()
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await _listener.AcceptSocketAsync(cts.Token);
        }

        /// <summary>An association in Sta6 on the requestor's side, and the acceptor's socket.</summary>
        public async Task<(Client.ClientAssociation, Socket)> EstablishAsync()
        {
            var connecting = ConnectAsync(TimeSpan.FromSeconds(30));
            var s = await AcceptAsync();
            Assert.That((await ReadPduAsync(s))[0], Is.EqualTo((byte)PduType.AssociateRequest));
            await s.SendAsync(AssociateAccept());
            return (await connecting, s);
        }

        public void Dispose() => _listener.Stop();
    }

    private static void Check(byte[] answer, Answer expected, int reason)
    {
        switch (expected)
        {
            case Answer.Abort:
                Assert.That(answer, Has.Length.EqualTo(10), "one A-ABORT PDU, then the connection closes");
                Assert.That(answer[0], Is.EqualTo((byte)PduType.Abort));
                Assert.That(answer[8], Is.EqualTo(AbortPdu.SourceProvider), "source: service provider");
                if (reason >= 0) Assert.That(answer[9], Is.EqualTo((byte)reason), "reason");
                break;
            case Answer.Silence:
                Assert.That(answer, Is.Empty, "nothing is sent back; the connection closes");
                break;
            case Answer.ReleaseResponse:
                Assert.That(answer, Is.EqualTo(PduWriter.ReleaseResponse()), "A-RELEASE-RP, then the connection closes");
                break;
        }
    }

    private static async Task<byte[]> ReadPduAsync(Socket s)
    {
        var head = new byte[6];
        await ReadExactlyAsync(s, head);
        var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(2))];
        await ReadExactlyAsync(s, body);
        return [.. head, .. body];
    }

    private static async Task ReadExactlyAsync(Socket s, byte[] buffer)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var got = 0;
        while (got < buffer.Length)
        {
            var n = await s.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cts.Token);
            if (n == 0) throw new EndOfStreamException($"connection closed after {got} of {buffer.Length} bytes");
            got += n;
        }
    }
}
