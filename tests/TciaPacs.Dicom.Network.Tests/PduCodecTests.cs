using System.Buffers.Binary;
using NUnit.Framework;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>PDU encoding and decoding against wire bytes (PS3.8 9.3): fixtures captured from dcmtk and built by hand from the tables.</summary>
public sealed class PduCodecTests
{
    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    [Test]
    public void Parses_the_associate_request_dcmtk_echoscu_sends()
    {
        var bytes = Fixture("echoscu-associate-rq.bin");
        var (type, length) = PduReader.ParseHeader(bytes);
        Assert.That(type, Is.EqualTo((byte)PduType.AssociateRequest));
        Assert.That(length, Is.EqualTo(bytes.Length - 6));
        var rq = PduReader.ParseAssociate(bytes.AsSpan(6), isAccept: false);
        Assert.That(rq.CalledAe, Is.EqualTo("TCIAPACS"));
        Assert.That(rq.CallingAe, Is.EqualTo("ECHOSCU"));
        Assert.That(rq.ApplicationContext, Is.EqualTo(AssociateRequest.DicomApplicationContext));
        Assert.That(rq.PresentationContexts, Has.Count.EqualTo(1));
        Assert.That(rq.PresentationContexts[0].Id, Is.EqualTo(1));
        Assert.That(rq.PresentationContexts[0].AbstractSyntax, Is.EqualTo("1.2.840.10008.1.1"));
        Assert.That(rq.PresentationContexts[0].TransferSyntaxes, Does.Contain("1.2.840.10008.1.2"));
        Assert.That(rq.UserInformation.MaxPduLength, Is.EqualTo(16384));
        Assert.That(rq.UserInformation.ImplementationVersionName, Does.StartWith("OFFIS_DCMTK"));
    }

    [Test]
    public void Our_encoding_of_the_dcmtk_request_is_byte_identical_after_a_round_trip()
    {
        var bytes = Fixture("echoscu-associate-rq.bin");
        var rq = PduReader.ParseAssociate(bytes.AsSpan(6), isAccept: false);
        // dcmtk fills the third byte of the presentation context item (reserved in an RQ, PS3.8 Table 9-13) with FFH; we send 00H.
        var pcItem = 6 + 68 + 4 + rq.ApplicationContext.Length;
        Assert.That(bytes[pcItem], Is.EqualTo(0x20));
        bytes[pcItem + 6] = 0;
        Assert.That(PduWriter.Associate(rq, isAccept: false), Is.EqualTo(bytes));
    }

    [Test]
    public void Writes_an_associate_accept_laid_out_as_PS3_8_table_9_17()
    {
        var ac = new AssociateRequest
        {
            CalledAe = "SCP", CallingAe = "SCU",
            PresentationContexts = [new PresentationContext(3, "1.2.840.10008.1.1", ["1.2"]), new PresentationContext(5, "9", []) { Result = PresentationContextResult.AbstractSyntaxNotSupported }],
            UserInformation = new UserInformation { MaxPduLength = 0x4000, ImplementationClassUid = "1.2", ImplementationVersionName = "V" },
        };
        var bytes = PduWriter.Associate(ac, isAccept: true);
        Assert.That(bytes[0], Is.EqualTo(0x02));
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(2)), Is.EqualTo((uint)bytes.Length - 6));
        Assert.That(bytes.AsSpan(6, 2).ToArray(), Is.EqualTo(new byte[] { 0, 1 }), "protocol version 1");
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 10, 16), Is.EqualTo("SCP             "));
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 26, 16), Is.EqualTo("SCU             "));
        var items = bytes.AsSpan(74);
        // Application context item 10H, then presentation context item 21H: id 3, reserved, result 0, reserved, TS sub-item 40H "1.2".
        Assert.That(items[0], Is.EqualTo(0x10));
        var pc = items[(4 + 21)..];
        Assert.That(pc[..12].ToArray(), Is.EqualTo(new byte[] { 0x21, 0, 0, 11, 3, 0, 0, 0, 0x40, 0, 0, 3 }));
        var parsed = PduReader.ParseAssociate(bytes.AsSpan(6), isAccept: true);
        Assert.That(parsed.PresentationContexts[0].AcceptedTransferSyntax, Is.EqualTo("1.2"));
        Assert.That(parsed.PresentationContexts[1].Result, Is.EqualTo(PresentationContextResult.AbstractSyntaxNotSupported));
        Assert.That(parsed.PresentationContexts[1].IsAccepted, Is.False);
        Assert.That(parsed.UserInformation.MaxPduLength, Is.EqualTo(0x4000));
        Assert.That(parsed.UserInformation.ImplementationVersionName, Is.EqualTo("V"));
    }

    [Test]
    public void User_information_sub_items_round_trip()
    {
        var rq = new AssociateRequest
        {
            CalledAe = "A", CallingAe = "B",
            PresentationContexts = [new PresentationContext(1, "1.2.840.10008.5.1.4.1.2.2.3", ["1.2.840.10008.1.2"])],
            UserInformation = new UserInformation
            {
                MaxPduLength = 1234,
                AsyncOperationsWindow = (1, 1),
                RoleSelections = [new RoleSelection("1.2.840.10008.5.1.4.1.1.2", false, true)],
                ExtendedNegotiations = [new ExtendedNegotiation("1.2.840.10008.5.1.4.1.2.2.1", [1, 1, 1])],
                UserIdentity = new UserIdentity(UserIdentity.UsernameAndPasscode, true, "alice"u8.ToArray(), "secret"u8.ToArray()),
            },
        };
        var parsed = PduReader.ParseAssociate(PduWriter.Associate(rq, false).AsSpan(6), false);
        var u = parsed.UserInformation;
        Assert.That(u.MaxPduLength, Is.EqualTo(1234));
        Assert.That(u.AsyncOperationsWindow, Is.EqualTo(((ushort)1, (ushort)1)));
        Assert.That(u.RoleSelections.Single(), Is.EqualTo(new RoleSelection("1.2.840.10008.5.1.4.1.1.2", false, true)));
        Assert.That(u.ExtendedNegotiations.Single().ServiceClassApplicationInformation, Is.EqualTo(new byte[] { 1, 1, 1 }));
        Assert.That(u.UserIdentity!.Describe(), Is.EqualTo("alice"));
        Assert.That(u.UserIdentity.SecondaryField, Is.EqualTo("secret"u8.ToArray()));
    }

    [Test]
    public void Fixed_size_PDUs_are_the_bytes_of_PS3_8()
    {
        Assert.That(PduWriter.ReleaseRequest(), Is.EqualTo(new byte[] { 5, 0, 0, 0, 0, 4, 0, 0, 0, 0 }));
        Assert.That(PduWriter.ReleaseResponse(), Is.EqualTo(new byte[] { 6, 0, 0, 0, 0, 4, 0, 0, 0, 0 }));
        Assert.That(PduWriter.Abort(new AbortPdu(2, 6)), Is.EqualTo(new byte[] { 7, 0, 0, 0, 0, 4, 0, 0, 2, 6 }));
        Assert.That(PduWriter.Reject(new AssociateReject(1, 1, 7)), Is.EqualTo(new byte[] { 3, 0, 0, 0, 0, 4, 0, 1, 1, 7 }));
        Assert.That(PduReader.ParseReject([0, 2, 3, 2]), Is.EqualTo(new AssociateReject(2, 3, 2)));
    }

    [Test]
    public void Parses_PDV_items_and_their_message_control_headers()
    {
        byte[] body = [0, 0, 0, 4, 1, 0x03, 0xAA, 0xBB, 0, 0, 0, 3, 3, 0x00, 0xCC];
        var pdvs = PduReader.ParseData(body);
        Assert.That(pdvs, Has.Count.EqualTo(2));
        Assert.That((pdvs[0].PresentationContextId, pdvs[0].IsCommand, pdvs[0].IsLast), Is.EqualTo(((byte)1, true, true)));
        Assert.That(pdvs[0].Data.ToArray(), Is.EqualTo(new byte[] { 0xAA, 0xBB }));
        Assert.That((pdvs[1].PresentationContextId, pdvs[1].IsCommand, pdvs[1].IsLast), Is.EqualTo(((byte)3, false, false)));
    }

    [TestCase(new byte[] { 0, 0, 0, 9, 1, 3, 0xAA }, TestName = "PDV length beyond the PDU")]
    [TestCase(new byte[] { 0, 0, 0, 1, 1 }, TestName = "PDV shorter than its header")]
    [TestCase(new byte[] { 0, 0, 0, 2, 1, 0x07 }, TestName = "reserved message control bits")]
    [TestCase(new byte[0], TestName = "P-DATA-TF without PDV")]
    public void Rejects_malformed_P_DATA(byte[] body) => Assert.Throws<PduException>(() => PduReader.ParseData(body));

    [Test]
    public void Rejects_items_that_overrun_the_associate_PDU()
    {
        var bytes = Fixture("echoscu-associate-rq.bin").AsSpan(6).ToArray();
        bytes[68 + 3] = 0xFF; // application context item length
        Assert.Throws<PduException>(() => PduReader.ParseAssociate(bytes, false));
        Assert.Throws<PduException>(() => PduReader.ParseAssociate(new byte[10], false));
    }

    [Test]
    public void A_4_GB_PDU_length_is_refused_from_its_header_before_reading_the_body()
    {
        var stream = new MemoryStream([4, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        var ex = Assert.ThrowsAsync<PduException>(() => new PduStreamReader(stream, new AssociationOptions()).ReadAsync(CancellationToken.None));
        Assert.That(ex!.AbortReason, Is.EqualTo(AbortPdu.InvalidPduParameterValue));
        var unknown = new MemoryStream([0x47, 0x45, 0x54, 0x20, 0x2F, 0x20]); // "GET / "
        Assert.That(Assert.ThrowsAsync<PduException>(() => new PduStreamReader(unknown, new AssociationOptions()).ReadAsync(CancellationToken.None))!.AbortReason, Is.EqualTo(AbortPdu.UnrecognizedPdu));
    }

    [TestCase(1)]        // the transport hands over one byte per receive
    [TestCase(7)]
    [TestCase(1 << 20)]  // everything at once: several PDUs per receive
    public async Task PDUs_back_to_back_are_read_whole_whatever_the_transport_hands_over_per_receive(int chunk)
    {
        var small = PDataStream.Frame(new byte[150], 1, isCommand: true, 1 << 20);
        var large = PDataStream.Frame(Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray(), 1, isCommand: false, 1 << 20);
        byte[] wire = [.. small, .. large, .. PduWriter.ReleaseRequest(), .. small];
        var reader = new PduStreamReader(new ChunkedStream(wire, chunk), new AssociationOptions());
        var lengths = new List<(PduType, int)>();
        byte[]? largeBody = null;
        while (await reader.ReadAsync(CancellationToken.None) is { } pdu)
        {
            lengths.Add((pdu.Type, pdu.Length));
            if (pdu.Length > 1000) largeBody = pdu.Body.ToArray();
            pdu.Return();
        }
        Assert.That(lengths, Is.EqualTo(new[] { (PduType.DataTransfer, small.Length - 6), (PduType.DataTransfer, large.Length - 6), (PduType.ReleaseRequest, 4), (PduType.DataTransfer, small.Length - 6) }));
        Assert.That(largeBody, Is.EqualTo(large[6..]));
        // Cut inside a header: an error, not a clean end.
        var cut = new PduStreamReader(new ChunkedStream([.. small, .. small[..3]], chunk), new AssociationOptions());
        (await cut.ReadAsync(CancellationToken.None))!.Value.Return();
        Assert.ThrowsAsync<EndOfStreamException>(() => cut.ReadAsync(CancellationToken.None));
    }

    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
    }

    [Test]
    public void Encodes_a_C_ECHO_RQ_command_set_in_implicit_VR_little_endian()
    {
        var command = DimseCommand.Request(CommandField.CEchoRequest, 7, "1.2.840.10008.1.1", false);
        var bytes = CommandCodec.Encode(command);
        byte[] expected =
        [
            0, 0, 0, 0, 4, 0, 0, 0, 56, 0, 0, 0,                              // (0000,0000) UL 56
            0, 0, 2, 0, 18, 0, 0, 0, .. "1.2.840.10008.1.1\0"u8,              // (0000,0002) UI, padded with NUL
            0, 0, 0, 1, 2, 0, 0, 0, 0x30, 0,                                  // (0000,0100) US 0030
            0, 0, 0x10, 1, 2, 0, 0, 0, 7, 0,                                  // (0000,0110) US 7
            0, 0, 0, 8, 2, 0, 0, 0, 0x01, 0x01,                               // (0000,0800) US 0101
        ];
        Assert.That(bytes, Is.EqualTo(expected));
        var decoded = CommandCodec.Decode(bytes);
        Assert.That(decoded.Field, Is.EqualTo(CommandField.CEchoRequest));
        Assert.That(decoded.MessageId, Is.EqualTo(7));
        Assert.That(decoded.AffectedSopClassUid, Is.EqualTo("1.2.840.10008.1.1"));
        Assert.That(decoded.HasDataSet, Is.False);
    }

    [Test]
    public void Rejects_command_sets_with_elements_outside_group_0000_or_out_of_order()
    {
        Assert.Throws<DimseException>(() => CommandCodec.Decode([8, 0, 0x18, 0, 0, 0, 0, 0]));
        Assert.Throws<DimseException>(() => CommandCodec.Decode([0, 0, 0, 1, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0]));
        Assert.Throws<DimseException>(() => CommandCodec.Decode([0, 0, 0, 1, 9, 0, 0, 0, 1, 0]));
    }

    [Test]
    public void Part10_header_makes_a_spooled_data_set_a_readable_file()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomTags.SOPInstanceUID, VR.UI, "1.2.3.4");
        ds.AddOrUpdate(DicomTags.PatientName, VR.PN, "Doe^John");
        foreach (var ts in new[] { TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRBigEndian, TransferSyntax.DeflatedExplicitVRLittleEndian })
        {
            var data = Part10.WriteDataSet(ds, ts.Uid);
            var file = new MemoryStream([.. Part10.Header("1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", ts.Uid), .. data]);
            var parsed = DicomFile.Read(file);
            Assert.That(parsed.TransferSyntax.Uid, Is.EqualTo(ts.Uid));
            Assert.That(parsed.Dataset.GetString(DicomTags.PatientName), Is.EqualTo("Doe^John"));
            file.Position = 0;
            Assert.That(Part10.LocateDataSet(file), Is.EqualTo(((long)file.Length - data.Length, ts.Uid)));
        }
    }

    /// <summary>Counts the writes a stream gets, keeping the bytes.</summary>
    private sealed class CountingStream : Stream
    {
        private readonly MemoryStream _bytes = new();
        public int Writes;
        public byte[] ToArray() => _bytes.ToArray();
        public override void Write(ReadOnlySpan<byte> buffer) { Writes++; _bytes.Write(buffer); }
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) { Write(buffer.Span); return ValueTask.CompletedTask; }
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _bytes.Length;
        public override long Position { get => _bytes.Position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>The P-DATA-TF PDUs in <paramref name="wire"/>: each one PDV (context, control header, data).</summary>
    private static List<(byte Context, byte Control, byte[] Data)> Pdvs(byte[] wire)
    {
        var list = new List<(byte, byte, byte[])>();
        for (var at = 0; at < wire.Length;)
        {
            Assert.That(wire[at], Is.EqualTo((byte)PduType.DataTransfer));
            var pduLength = (int)BinaryPrimitives.ReadUInt32BigEndian(wire.AsSpan(at + 2));
            var pdvLength = (int)BinaryPrimitives.ReadUInt32BigEndian(wire.AsSpan(at + 6));
            Assert.That(pdvLength, Is.EqualTo(pduLength - 4), "one PDV per PDU");
            list.Add((wire[at + 10], wire[at + 11], wire.AsSpan(at + 12, pdvLength - 2).ToArray()));
            at += 6 + pduLength;
        }
        return list;
    }

    [TestCase(16384 - 6, 530_000, false)]   // dcmtk's default max PDU: many PDUs, gathered into few writes
    [TestCase(100, 1000, false)]
    [TestCase(100, 1000, true)]             // exact multiple: the last PDU is full and still marked last
    [TestCase(1024 * 1024 - 6, 530_000, false)]
    [TestCase(16384 - 6, 0, false)]         // an empty value: one empty PDV marked last
    public async Task Data_is_cut_into_PDUs_no_longer_than_the_peer_accepts_and_sent_in_few_writes(int maxData, int length, bool exact)
    {
        if (exact) length = maxData * 10;
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var wire = new CountingStream();
        var stream = new PDataStream(wire, 7, isCommand: false, maxData);
        // Odd-sized writes, as a writer of elements makes them.
        for (var at = 0; at < data.Length; at += 777) await stream.WriteAsync(data.AsMemory(at, Math.Min(777, data.Length - at)));
        await stream.FinishAsync(CancellationToken.None);
        var pdvs = Pdvs(wire.ToArray());
        Assert.That(pdvs.SelectMany(p => p.Data).ToArray(), Is.EqualTo(data));
        Assert.That(pdvs.All(p => p.Context == 7 && p.Data.Length <= maxData));
        Assert.That(pdvs.Select(p => (p.Control & 2) != 0), Is.EqualTo(pdvs.Select((_, i) => i == pdvs.Count - 1)), "only the last fragment is marked last");
        Assert.That(pdvs.All(p => (p.Control & 1) == 0), "data, not command");
        Assert.That(pdvs.Take(pdvs.Count - 1).All(p => p.Data.Length == maxData), "every PDU but the last is full");
        if (length > 0) Assert.That(pdvs[^1].Data, Is.Not.Empty);
        Assert.That(wire.Writes, Is.LessThanOrEqualTo(length / (256 * 1024) + 2), "PDUs are gathered, not written one by one");
    }

    [TestCase(1024 * 1024 - 6, 1)]
    [TestCase(64, 3)]   // a peer with tiny PDUs: the command too is cut, only its last fragment marked last
    public async Task A_command_is_framed_apart_and_leads_the_data_sets_first_write(int maxData, int commandPdus)
    {
        var command = new byte[150];
        new Random(3).NextBytes(command);
        var framed = PDataStream.Frame(command, 1, isCommand: true, maxData);
        var data = new byte[1000];
        new Random(4).NextBytes(data);
        var wire = new CountingStream();
        var stream = new PDataStream(wire, 1, isCommand: false, maxData, leading: framed);
        await stream.WriteAsync(data);
        await stream.FinishAsync(CancellationToken.None);
        var pdvs = Pdvs(wire.ToArray());
        var commandPdvs = pdvs.TakeWhile(p => (p.Control & 1) != 0).ToList();
        Assert.That(commandPdvs, Has.Count.EqualTo(commandPdus));
        Assert.That(commandPdvs.SelectMany(p => p.Data).ToArray(), Is.EqualTo(command));
        Assert.That(commandPdvs.Select(p => (p.Control & 2) != 0), Is.EqualTo(commandPdvs.Select((_, i) => i == commandPdus - 1)), "only the command's last fragment is marked last");
        var dataPdvs = pdvs.Skip(commandPdus).ToList();
        Assert.That(dataPdvs.All(p => (p.Control & 1) == 0 && p.Data.Length <= maxData));
        Assert.That(dataPdvs.SelectMany(p => p.Data).ToArray(), Is.EqualTo(data));
        Assert.That((dataPdvs[^1].Control & 2) != 0, "the data's last fragment is marked last");
        Assert.That(wire.Writes, Is.EqualTo(1), "command and data set in one write");
    }
}
