using System.Buffers;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>
/// Reads whole PDUs from the transport: the 6-byte header, checked (type known, length within the limit for that
/// type, PS3.8 9.3.1) before the body is read into a pooled buffer. A PDU length of 4 GB is refused from its header.
/// </summary>
internal sealed class PduStreamReader(Stream stream, AssociationOptions options)
{
    private readonly byte[] _header = new byte[PduReader.HeaderLength];

    /// <summary>A PDU whose body is rented: return it with <see cref="Return"/>.</summary>
    public readonly record struct RawPdu(PduType Type, byte[] Buffer, int Length)
    {
        public ReadOnlySpan<byte> Body => Buffer.AsSpan(0, Length);
        public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);
        public void Return() { if (Buffer.Length > 0) ArrayPool<byte>.Shared.Return(Buffer); }
    }

    /// <summary>The next PDU, or null at a clean end of stream before any byte of it.</summary>
    public async Task<RawPdu?> ReadAsync(CancellationToken cancellationToken)
    {
        var got = await stream.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < _header.Length) throw new EndOfStreamException("the connection closed inside a PDU header");
        var (type, length) = PduReader.ParseHeader(_header);
        if (type is < 1 or > 7) throw new PduException($"unrecognized PDU type 0x{type:X2}", AbortPdu.UnrecognizedPdu);
        var pduType = (PduType)type;
        long limit = pduType switch
        {
            PduType.AssociateRequest or PduType.AssociateAccept => options.MaxAssociatePduLength,
            // PS3.8 D.1: the Maximum Length sub-item bounds the P-DATA-TF variable field; 0 means no limit of ours (kept finite).
            PduType.DataTransfer => options.MaxPduLength == 0 ? 64L * 1024 * 1024 : options.MaxPduLength,
            _ => 4,
        };
        if (length > limit) throw new PduException($"{pduType} PDU length {length} exceeds the limit of {limit} bytes", AbortPdu.InvalidPduParameterValue);
        if (pduType is PduType.AssociateReject or PduType.ReleaseRequest or PduType.ReleaseResponse or PduType.Abort && length != 4)
            throw new PduException($"{pduType} PDU length {length}, not 4", AbortPdu.InvalidPduParameterValue);
        var buffer = length == 0 ? [] : ArrayPool<byte>.Shared.Rent((int)length);
        try
        {
            await stream.ReadExactlyAsync(buffer.AsMemory(0, (int)length), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        return new RawPdu(pduType, buffer, (int)length);
    }
}
