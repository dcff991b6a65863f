using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>
/// A write-only stream that frames what is written into P-DATA-TF PDUs of one PDV each (PS3.8 9.3.5), at most
/// <c>maxData</c> bytes per PDV. A full buffer is sent only when more bytes follow, so the fragment that
/// <see cref="FinishAsync"/> marks last (PS3.8 E.2) is never empty unless the whole value is.
/// </summary>
internal sealed class PDataStream(Stream transport, byte contextId, bool isCommand, int maxData) : Stream
{
    private readonly byte[] _buffer = new byte[PduWriter.DataHeadersLength + maxData];
    private int _filled;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            if (_filled == maxData) SendBuffered(false);
            var n = Math.Min(buffer.Length, maxData - _filled);
            buffer[..n].CopyTo(_buffer.AsSpan(PduWriter.DataHeadersLength + _filled));
            _filled += n;
            buffer = buffer[n..];
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            if (_filled == maxData) await SendBufferedAsync(false, cancellationToken).ConfigureAwait(false);
            var n = Math.Min(buffer.Length, maxData - _filled);
            buffer.Span[..n].CopyTo(_buffer.AsSpan(PduWriter.DataHeadersLength + _filled));
            _filled += n;
            buffer = buffer[n..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public Task FinishAsync(CancellationToken cancellationToken) => SendBufferedAsync(true, cancellationToken);

    private void SendBuffered(bool last)
    {
        PduWriter.DataHeaders(_buffer, _filled, contextId, isCommand, last);
        transport.Write(_buffer, 0, PduWriter.DataHeadersLength + _filled);
        _filled = 0;
    }

    private async Task SendBufferedAsync(bool last, CancellationToken cancellationToken)
    {
        PduWriter.DataHeaders(_buffer, _filled, contextId, isCommand, last);
        await transport.WriteAsync(_buffer.AsMemory(0, PduWriter.DataHeadersLength + _filled), cancellationToken).ConfigureAwait(false);
        if (last) await transport.FlushAsync(cancellationToken).ConfigureAwait(false);
        _filled = 0;
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
