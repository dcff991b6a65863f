using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>Encoders of whole PDUs, header included (PS3.8 9.3), to an <see cref="IBufferWriter{T}"/> or a new array.</summary>
public static class PduWriter
{
    public static byte[] Associate(AssociateRequest a, bool isAccept)
    {
        var w = new ArrayBufferWriter<byte>(1024);
        var lengthAt = Header(w, isAccept ? PduType.AssociateAccept : PduType.AssociateRequest);
        U16(w, a.ProtocolVersion);
        U16(w, 0);
        Ae(w, a.CalledAe);
        Ae(w, a.CallingAe);
        w.GetSpan(32)[..32].Clear();
        w.Advance(32);
        UidItem(w, 0x10, a.ApplicationContext);
        foreach (var pc in a.PresentationContexts)
        {
            var at = ItemHeader(w, isAccept ? (byte)0x21 : (byte)0x20);
            w.Write<byte>([pc.Id, 0, isAccept ? (byte)pc.Result : (byte)0, 0]);
            if (!isAccept) UidItem(w, 0x30, pc.AbstractSyntax);
            // An AC carries one transfer syntax sub-item, whose value is not significant when the context is refused (PS3.8 9.3.3.2).
            var syntaxes = isAccept ? (pc.TransferSyntaxes.Count > 0 ? pc.TransferSyntaxes.Take(1) : [TransferSyntax.ImplicitVRLittleEndian.Uid]) : pc.TransferSyntaxes;
            foreach (var ts in syntaxes) UidItem(w, 0x40, ts);
            EndItem(w, at);
        }
        UserInfo(w, a.UserInformation);
        EndPdu(w, lengthAt);
        return w.WrittenSpan.ToArray();
    }

    private static void UserInfo(ArrayBufferWriter<byte> w, UserInformation u)
    {
        var at = ItemHeader(w, 0x50);
        var max = ItemHeader(w, 0x51);
        U32(w, u.MaxPduLength);
        EndItem(w, max);
        UidItem(w, 0x52, u.ImplementationClassUid);
        if (u.AsyncOperationsWindow is { } window)
        {
            var aw = ItemHeader(w, 0x53);
            U16(w, window.Invoked);
            U16(w, window.Performed);
            EndItem(w, aw);
        }
        foreach (var role in u.RoleSelections)
        {
            var r = ItemHeader(w, 0x54);
            PrefixedUid(w, role.SopClassUid);
            w.Write<byte>([role.ScuRole ? (byte)1 : (byte)0, role.ScpRole ? (byte)1 : (byte)0]);
            EndItem(w, r);
        }
        if (u.ImplementationVersionName is { Length: > 0 } name) UidItem(w, 0x55, name.Length > 16 ? name[..16] : name);
        foreach (var ext in u.ExtendedNegotiations)
        {
            var e = ItemHeader(w, 0x56);
            PrefixedUid(w, ext.SopClassUid);
            w.Write(ext.ServiceClassApplicationInformation);
            EndItem(w, e);
        }
        if (u.UserIdentity is { } id)
        {
            var i = ItemHeader(w, 0x58);
            w.Write<byte>([id.Type, id.PositiveResponseRequested ? (byte)1 : (byte)0]);
            U16(w, (ushort)id.PrimaryField.Length);
            w.Write(id.PrimaryField);
            U16(w, (ushort)id.SecondaryField.Length);
            w.Write(id.SecondaryField);
            EndItem(w, i);
        }
        if (u.UserIdentityResponse is { } response)
        {
            var r = ItemHeader(w, 0x59);
            U16(w, (ushort)response.Length);
            w.Write(response);
            EndItem(w, r);
        }
        EndItem(w, at);
    }

    public static byte[] Reject(AssociateReject rj) => [(byte)PduType.AssociateReject, 0, 0, 0, 0, 4, 0, rj.Result, rj.Source, rj.Reason];

    public static byte[] Abort(AbortPdu abort) => [(byte)PduType.Abort, 0, 0, 0, 0, 4, 0, 0, abort.Source, abort.Reason];

    public static byte[] ReleaseRequest() => [(byte)PduType.ReleaseRequest, 0, 0, 0, 0, 4, 0, 0, 0, 0];

    public static byte[] ReleaseResponse() => [(byte)PduType.ReleaseResponse, 0, 0, 0, 0, 4, 0, 0, 0, 0];

    /// <summary>
    /// Writes the headers of a P-DATA-TF holding one PDV of <paramref name="dataLength"/> bytes into the first 12 bytes
    /// of <paramref name="destination"/> (PDU header 6, PDV length 4, context ID, message control header).
    /// </summary>
    public static void DataHeaders(Span<byte> destination, int dataLength, byte contextId, bool isCommand, bool isLast)
    {
        destination[0] = (byte)PduType.DataTransfer;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)(dataLength + 6));
        BinaryPrimitives.WriteUInt32BigEndian(destination[6..], (uint)(dataLength + 2));
        destination[10] = contextId;
        destination[11] = (byte)((isCommand ? 1 : 0) | (isLast ? 2 : 0));
    }

    public const int DataHeadersLength = 12;

    private static int Header(ArrayBufferWriter<byte> w, PduType type)
    {
        w.Write<byte>([(byte)type, 0]);
        var at = w.WrittenCount;
        U32(w, 0);
        return at;
    }

    private static void EndPdu(ArrayBufferWriter<byte> w, int lengthAt)
    {
        var length = (uint)(w.WrittenCount - lengthAt - 4);
        BinaryPrimitives.WriteUInt32BigEndian(MemoryMarshalSpan(w, lengthAt, 4), length);
    }

    private static int ItemHeader(ArrayBufferWriter<byte> w, byte type)
    {
        w.Write<byte>([type, 0]);
        var at = w.WrittenCount;
        U16(w, 0);
        return at;
    }

    private static void EndItem(ArrayBufferWriter<byte> w, int lengthAt)
    {
        var length = w.WrittenCount - lengthAt - 2;
        if (length > ushort.MaxValue) throw new InvalidOperationException($"PDU item of {length} bytes exceeds the 16-bit item length");
        BinaryPrimitives.WriteUInt16BigEndian(MemoryMarshalSpan(w, lengthAt, 2), (ushort)length);
    }

    // ArrayBufferWriter exposes what was written read-only; the length fields are patched in place.
    private static Span<byte> MemoryMarshalSpan(ArrayBufferWriter<byte> w, int offset, int length) =>
        System.Runtime.InteropServices.MemoryMarshal.AsMemory(w.WrittenMemory).Span.Slice(offset, length);

    private static void UidItem(ArrayBufferWriter<byte> w, byte type, string value)
    {
        var at = ItemHeader(w, type);
        w.Write(Encoding.ASCII.GetBytes(value));
        EndItem(w, at);
    }

    private static void PrefixedUid(ArrayBufferWriter<byte> w, string uid)
    {
        var bytes = Encoding.ASCII.GetBytes(uid);
        U16(w, (ushort)bytes.Length);
        w.Write(bytes);
    }

    private static void Ae(ArrayBufferWriter<byte> w, string ae)
    {
        var span = w.GetSpan(16)[..16];
        span.Fill((byte)' ');
        Encoding.ASCII.GetBytes(ae.Length > 16 ? ae[..16] : ae, span);
        w.Advance(16);
    }

    private static void U16(ArrayBufferWriter<byte> w, ushort v)
    {
        BinaryPrimitives.WriteUInt16BigEndian(w.GetSpan(2), v);
        w.Advance(2);
    }

    private static void U32(ArrayBufferWriter<byte> w, uint v)
    {
        BinaryPrimitives.WriteUInt32BigEndian(w.GetSpan(4), v);
        w.Advance(4);
    }
}
