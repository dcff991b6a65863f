using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TciaPacs.Archive.Storage;

/// <summary>
/// A write-through stream that hashes (SHA-256) the data set part of a Part 10 file as it is written: the preamble,
/// "DICM" and the File Meta Information group (PS3.10 7.1) are skipped, so the same data set sent twice with another
/// meta header (another Source AE, another implementation) has the same hash. A stream without a preamble is hashed whole.
/// </summary>
internal sealed class ContentHashingStream(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _head = new byte[144];
    private int _headLength;
    private long _position;
    private long _datasetStart = -1;

    public string HashHex()
    {
        if (_datasetStart < 0) { _datasetStart = 0; _hash.AppendData(_head, 0, _headLength); }
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        Consume(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Consume(buffer.Span);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Consume(ReadOnlySpan<byte> data)
    {
        var start = _position;
        _position += data.Length;
        if (_datasetStart < 0)
        {
            var take = Math.Min(_head.Length - _headLength, data.Length);
            data[..take].CopyTo(_head.AsSpan(_headLength));
            _headLength += take;
            if (_headLength < _head.Length) return;
            _datasetStart = DatasetOffset(_head);
            if (_datasetStart < _head.Length) _hash.AppendData(_head, (int)_datasetStart, _head.Length - (int)_datasetStart);
        }
        // Bytes of this write at or after the data set start that the head buffer did not already cover.
        var from = Math.Max(Math.Max(_datasetStart, _head.Length), start);
        if (from < _position) _hash.AppendData(data[(int)(from - start)..]);
    }

    /// <summary>Offset of the data set: 128 + 4 + the (0002,0000) element (12 bytes, explicit VR LE) + its value.</summary>
    private static long DatasetOffset(byte[] head)
    {
        if (head[128] != 'D' || head[129] != 'I' || head[130] != 'C' || head[131] != 'M') return 0;
        var tag = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(132));
        if (tag != 0x00000002 || head[136] != 'U' || head[137] != 'L') return 0;
        return 144 + BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(140));
    }

    public override void Flush() => inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _position;
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
