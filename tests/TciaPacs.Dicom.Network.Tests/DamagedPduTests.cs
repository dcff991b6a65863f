using System.Net.Sockets;
using CsCheck;
using NUnit.Framework;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>
/// Whatever a peer sends, the PDU and command-set readers answer with what they parsed or with their own exception
/// (<see cref="PduException"/>, <see cref="DimseException"/>), which the association turns into an A-ABORT or a
/// status; never another exception, which would say a length was trusted somewhere. Damaged copies of real PDUs
/// (bytes overwritten, cut short, lengths changed) and random bytes.
/// </summary>
public sealed class DamagedPduTests
{
    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    // A request with every kind of user information sub-item, as a C-GET requestor with a password would send.
    private static byte[] RichAssociateRequest(bool isAccept) => PduWriter.Associate(new AssociateRequest
    {
        CalledAe = "TCIAPACS",
        CallingAe = "GETSCU",
        PresentationContexts =
        [
            new PresentationContext(1, SopClasses.StudyRootGet, [TransferSyntax.ExplicitVRLittleEndian.Uid, TransferSyntax.ImplicitVRLittleEndian.Uid]),
            new PresentationContext(3, "1.2.840.10008.5.1.4.1.1.2", [TransferSyntax.ExplicitVRLittleEndian.Uid]),
        ],
        UserInformation = new UserInformation
        {
            MaxPduLength = 65536,
            ImplementationClassUid = "1.2.3.4",
            ImplementationVersionName = "FUZZ",
            RoleSelections = [new RoleSelection("1.2.840.10008.5.1.4.1.1.2", false, true)],
            ExtendedNegotiations = [new ExtendedNegotiation(SopClasses.StudyRootFind, [1, 1, 1, 1])],
            UserIdentity = new UserIdentity(UserIdentity.UsernameAndPasscode, true, "bob"u8.ToArray(), "secret"u8.ToArray()),
            AsyncOperationsWindow = (1, 1),
        },
    }, isAccept);

    private static Gen<byte[]> Damaged(byte[] pdu) =>
        Gen.Select(Gen.Int[0, 3], Gen.Int[1, 8], Gen.Int).Select((kind, changes, seed) =>
        {
            var random = new Random(seed);
            var body = pdu[6..];
            switch (kind)
            {
                case 0: // bytes overwritten
                    for (var i = 0; i < changes; i++) body[random.Next(body.Length)] = (byte)random.Next(256);
                    return body;
                case 1: // cut short
                    return body[..random.Next(body.Length)];
                case 2: // a 16-bit length field (items, sub-items, UIDs) made absurd
                    var at = random.Next(body.Length - 1);
                    body[at] = (byte)random.Next(256);
                    body[at + 1] = 0xFF;
                    return body;
                default: // or too small for what it holds
                    var small = random.Next(body.Length - 1);
                    body[small] = 0;
                    body[small + 1] = (byte)random.Next(9);
                    return body;
            }
        });

    private static void OnlyPduException(Action parse)
    {
        try { parse(); }
        catch (PduException) { }
    }

    [Test]
    public void Damaged_associate_requests_parse_or_give_a_PduException()
    {
        foreach (var pdu in new[] { Fixture("echoscu-associate-rq.bin"), RichAssociateRequest(false) })
            Damaged(pdu).Sample(body => OnlyPduException(() => PduReader.ParseAssociate(body, isAccept: false)), iter: 3000, threads: 1);
    }

    [Test]
    public void Damaged_associate_accepts_parse_or_give_a_PduException() =>
        Damaged(RichAssociateRequest(true)).Sample(body => OnlyPduException(() => PduReader.ParseAssociate(body, isAccept: true)), iter: 3000, threads: 1);

    [Test]
    public void Random_bytes_as_any_PDU_body_parse_or_give_a_PduException() =>
        Gen.Byte.Array[0, 300].Sample(body =>
        {
            OnlyPduException(() => PduReader.ParseAssociate(body, isAccept: false));
            OnlyPduException(() => PduReader.ParseAssociate(body, isAccept: true));
            OnlyPduException(() => PduReader.ParseData(body));
            OnlyPduException(() => PduReader.ParseReject(body));
            OnlyPduException(() => PduReader.ParseAbort(body));
            OnlyPduException(() => PduReader.ParseUserInformation(body));
        }, iter: 5000, threads: 1);

    [Test]
    public void Damaged_command_sets_decode_or_give_a_DimseException()
    {
        var store = DimseCommand.Request(CommandField.CStoreRequest, 7, "1.2.840.10008.5.1.4.1.1.2", hasDataSet: true);
        store.AffectedSopInstanceUid = "1.2.826.0.1.3680043.10.543.1.1.1";
        store.MoveOriginatorAeTitle = "MOVESCU";
        store.MoveOriginatorMessageId = 3;
        var moveResponse = DimseCommand.ResponseTo(DimseCommand.Request(CommandField.CMoveRequest, 9, SopClasses.StudyRootMove, true), 0xFF00);
        moveResponse.Remaining = 10;
        moveResponse.Completed = 2;
        moveResponse.ErrorComment = "a comment";
        foreach (var command in new[] { store, moveResponse })
        {
            var bytes = CommandCodec.Encode(command);
            Damaged([0, 0, 0, 0, 0, 0, .. bytes]).Sample(damaged =>
            {
                try
                {
                    var c = CommandCodec.Decode(damaged);
                    // What the association reads of every command before it acts on it.
                    _ = (c.Field, c.IsResponse, c.HasDataSet, c.MessageId, c.MessageIdBeingRespondedTo, c.Status, c.Priority, c.AffectedSopClassUid,
                        c.AffectedSopInstanceUid, c.MoveDestination, c.MoveOriginatorAeTitle, c.MoveOriginatorMessageId, c.ErrorComment, c.Remaining, c.ToString());
                }
                catch (DimseException) { }
            }, iter: 3000, threads: 1);
        }
    }

    // A whole session as a peer sends it: association request, C-ECHO, C-STORE of a small CT header, release.
    private static byte[] Session()
    {
        var rq = PduWriter.Associate(new AssociateRequest
        {
            CalledAe = "SCP", CallingAe = "DAMAGED",
            PresentationContexts =
            [
                new PresentationContext(1, SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid]),
                new PresentationContext(3, "1.2.840.10008.5.1.4.1.1.2", [TransferSyntax.ExplicitVRLittleEndian.Uid]),
            ],
            UserInformation = new UserInformation { MaxPduLength = 16384 },
        }, isAccept: false);
        static byte[] Pdv(byte context, bool isCommand, byte[] data)
        {
            var pdu = new byte[PduWriter.DataHeadersLength + data.Length];
            PduWriter.DataHeaders(pdu, data.Length, context, isCommand, isLast: true);
            data.CopyTo(pdu, PduWriter.DataHeadersLength);
            return pdu;
        }
        var echo = CommandCodec.Encode(DimseCommand.Request(CommandField.CEchoRequest, 1, SopClasses.Verification, hasDataSet: false));
        var store = DimseCommand.Request(CommandField.CStoreRequest, 2, "1.2.840.10008.5.1.4.1.1.2", hasDataSet: true);
        store.AffectedSopInstanceUid = "1.2.826.0.1.3680043.10.543.9.1";
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SOPClassUID, VR.UI, "1.2.840.10008.5.1.4.1.1.2");
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, "1.2.826.0.1.3680043.10.543.9.1");
        ds.AddOrUpdate(DicomTags.PatientName, VR.PN, "Damaged^Session");
        ds.AddOrUpdate(DicomTags.Rows, VR.US, (ushort)4);
        var data = new MemoryStream();
        TciaPacs.Dicom.IO.DicomWriter.WriteDataset(data, ds, TransferSyntax.ExplicitVRLittleEndian);
        return [.. rq, .. Pdv(1, true, echo), .. Pdv(3, true, CommandCodec.Encode(store)), .. Pdv(3, false, data.ToArray()), .. PduWriter.ReleaseRequest()];
    }

    /// <summary>
    /// Damaged sessions against a live server, twenty at a time: each ends with the connection closed (an answer, an
    /// A-ABORT, or a timeout for a PDU that promised more bytes than came), no handler fails with an exception that
    /// would mean a bug, and the server answers a C-ECHO afterwards.
    /// </summary>
    [Test]
    public async Task Damaged_sessions_end_in_a_clean_close_and_the_server_goes_on()
    {
        await using var server = new TestServer(new AssociationOptions { ArtimTimeout = TimeSpan.FromSeconds(2), IdleTimeout = TimeSpan.FromSeconds(2) });
        var session = Session();
        var random = new Random(20261207);
        var sessions = Enumerable.Range(0, 100).Select(i =>
        {
            var damaged = (byte[])session.Clone();
            if (i % 4 == 0) return damaged[..random.Next(1, damaged.Length)];
            for (var k = 0; k < 1 + i % 4; k++) damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            return damaged;
        }).ToList();
        var stillOpen = new List<int>();
        foreach (var batch in sessions.Select((bytes, i) => (bytes, i)).Chunk(20))
            await Task.WhenAll(batch.Select(async s =>
            {
                using var socket = await server.RawAsync();
                try { await socket.SendAsync(s.bytes); }
                catch (SocketException) { } // closed by the server before everything was sent
                var (_, closed) = await TestServer.ReadUntilCloseAsync(socket, TimeSpan.FromSeconds(15));
                if (!closed) lock (stillOpen) stillOpen.Add(s.i);
            }));
        Assert.That(stillOpen, Is.Empty, "sessions the server never closed");
        var bugs = server.Log.Lines.Where(l => l.Contains("[IndexOutOfRange", StringComparison.Ordinal) || l.Contains("[ArgumentOutOfRange", StringComparison.Ordinal)
            || l.Contains("[NullReference", StringComparison.Ordinal) || l.Contains("[Overflow", StringComparison.Ordinal) || l.Contains("[InvalidCast", StringComparison.Ordinal)
            || l.Contains("[ArgumentException", StringComparison.Ordinal) || l.Contains("[InvalidOperation", StringComparison.Ordinal)).ToList();
        Assert.That(bugs, Is.Empty);
        Assert.That(await server.EchoAsync(), Is.EqualTo(DimseStatus.Success));
        Assert.That(server.Log.All, Does.Contain("DAMAGED"), "the sessions were seen");
    }
}
