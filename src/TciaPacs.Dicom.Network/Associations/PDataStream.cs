using System.Buffers;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>
/// A write-only stream that frames what is written into P-DATA-TF PDUs of one PDV each (PS3.8 9.3.5), at most
/// <c>maxData</c> bytes per PDV. A full PDU is closed only when more bytes follow, so the fragment that
/// <see cref="FinishAsync"/> marks last (PS3.8 E.2) is never empty unless the whole value is.
/// </summary>
/// <remarks>
/// PDUs are gathered into one buffer of up to <see cref="BatchBytes"/> and written together: most peers accept
/// 16 KiB PDUs (dcmtk's default), and one socket write per PDU made a C-MOVE of 530 KB instances spend its time in
/// 33 send calls per instance. The buffer comes from the shared pool and goes back at <see cref="FinishAsync"/> (after
/// a failed send it is left to the GC, since the transport may still hold it); a command (<c>expectedLength</c> known)
/// gets a buffer of its size, not of the peer's maximum PDU.
/// </remarks>
internal sealed class PDataStream : Stream
{
    private const int BatchBytes = 256 * 1024;

    private readonly Stream _transport;
    private readonly byte _contextId;
    private readonly bool _isCommand;
    private readonly int _pduData; // data bytes in each PDU but the last
    private byte[]? _buffer;
    private int _pduStart;         // where the PDU being filled begins in the buffer
    private int _filled;           // data bytes in that PDU

    public PDataStream(Stream transport, byte contextId, bool isCommand, int maxData, int expectedLength = -1)
    {
        _transport = transport;
        _contextId = contextId;
        _isCommand = isCommand;
        _pduData = expectedLength >= 0 ? Math.Clamp(expectedLength, 1, maxData) : maxData;
        var stride = PduWriter.DataHeadersLength + _pduData;
        var pdus = Math.Max(1, BatchBytes / stride);
        if (expectedLength >= 0) pdus = Math.Min(pdus, Math.Max(1, (expectedLength + _pduData - 1) / _pduData));
        _buffer = ArrayPool<byte>.Shared.Rent(pdus * stride);
    }

    private int Stride => PduWriter.DataHeadersLength + _pduData;

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PDataStream));

    /// <summary>Closes the full PDU (not the last: more bytes follow); true when the buffer has no room for another.</summary>
    private bool CloseFullPdu()
    {
        PduWriter.DataHeaders(Buffer.AsSpan(_pduStart), _filled, _contextId, _isCommand, isLast: false);
        _pduStart += Stride;
        _filled = 0;
        return _pduStart + Stride > Buffer.Length;
    }

    private int Append(ReadOnlySpan<byte> data)
    {
        var n = Math.Min(data.Length, _pduData - _filled);
        data[..n].CopyTo(Buffer.AsSpan(_pduStart + PduWriter.DataHeadersLength + _filled));
        _filled += n;
        return n;
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            if (_filled == _pduData && CloseFullPdu()) SendClosed();
            buffer = buffer[Append(buffer)..];
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            if (_filled == _pduData && CloseFullPdu()) await SendClosedAsync(cancellationToken).ConfigureAwait(false);
            buffer = buffer[Append(buffer.Span)..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void SendClosed()
    {
        _transport.Write(Buffer, 0, _pduStart);
        _pduStart = 0;
    }

    private async Task SendClosedAsync(CancellationToken cancellationToken)
    {
        await _transport.WriteAsync(Buffer.AsMemory(0, _pduStart), cancellationToken).ConfigureAwait(false);
        _pduStart = 0;
    }

    /// <summary>Marks the PDU being filled as the last fragment, sends everything gathered and flushes.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken)
    {
        PduWriter.DataHeaders(Buffer.AsSpan(_pduStart), _filled, _contextId, _isCommand, isLast: true);
        await _transport.WriteAsync(Buffer.AsMemory(0, _pduStart + PduWriter.DataHeadersLength + _filled), cancellationToken).ConfigureAwait(false);
        await _transport.FlushAsync(cancellationToken).ConfigureAwait(false);
        ReturnBuffer();
    }

    private void ReturnBuffer()
    {
        if (_buffer == null) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = null;
    }

    public override void Flush() { }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
