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
/// a failed send it is left to the GC, since the transport may still hold it). A command is framed apart
/// (<see cref="Frame"/>), into a buffer of its own size.
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

    /// <param name="leading">PDUs already framed (a message's command) that go out first, in the same write as the first data PDUs.</param>
    public PDataStream(Stream transport, byte contextId, bool isCommand, int maxData, ReadOnlySpan<byte> leading = default)
    {
        _transport = transport;
        _contextId = contextId;
        _isCommand = isCommand;
        _pduData = maxData;
        var stride = PduWriter.DataHeadersLength + _pduData;
        var pdus = Math.Max(1, BatchBytes / stride);
        _buffer = ArrayPool<byte>.Shared.Rent(leading.Length + pdus * stride);
        leading.CopyTo(_buffer);
        _pduStart = leading.Length;
    }

    /// <summary>
    /// <paramref name="value"/> (a command) framed whole into P-DATA-TF PDUs of at most <paramref name="maxData"/> bytes
    /// each, the last marked last, not sent: a message with a data set sends it in the same write as the data's first
    /// PDUs, so that the peer wakes once for both, not once for the command and again for the data.
    /// </summary>
    public static byte[] Frame(ReadOnlySpan<byte> value, byte contextId, bool isCommand, int maxData)
    {
        var pdus = Math.Max(1, (value.Length + maxData - 1) / maxData);
        var framed = new byte[value.Length + pdus * PduWriter.DataHeadersLength];
        var at = 0;
        for (var i = 0; i < pdus; i++)
        {
            var chunk = value.Slice(i * maxData, Math.Min(maxData, value.Length - i * maxData));
            PduWriter.DataHeaders(framed.AsSpan(at), chunk.Length, contextId, isCommand, isLast: i == pdus - 1);
            chunk.CopyTo(framed.AsSpan(at + PduWriter.DataHeadersLength));
            at += PduWriter.DataHeadersLength + chunk.Length;
        }
        return framed;
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

    /// <summary>
    /// Marks the PDU being filled as the last fragment, sends everything gathered and flushes. With
    /// <paramref name="padOddLength"/>, a value of odd length gets one trailing zero byte: a deflated data set is a
    /// bit stream of any length, and dcmtk refuses a fragment of odd length (its "Odd Fragment Length" error, after
    /// PS3.7 Annex F) while its own inflater, like ours, ignores what follows the end of the stream.
    /// </summary>
    public async Task FinishAsync(CancellationToken cancellationToken, bool padOddLength = false)
    {
        // Every PDU before the last carries an even number of bytes, so the last is odd when the whole value is.
        if (padOddLength && (_filled & 1) == 1) Append([0]);
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
