using System.Buffers.Binary;
using System.Net.Sockets;
using NUnit.Framework;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>
/// The upper layer's state machine as an acceptor (PS3.8 9.2, Table 9-10), event by event in the two states a peer
/// can drive us into: Sta2 (transport open, awaiting A-ASSOCIATE-RQ) and Sta6 (association established). Each PDU is
/// sent raw; the test checks what comes back (an A-ABORT, an A-RELEASE-RP, or nothing), that the connection is closed
/// (or kept, where the table keeps it), and that the server still answers a C-ECHO afterwards.
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
