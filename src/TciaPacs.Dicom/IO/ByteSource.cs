using System.Buffers.Binary;

namespace TciaPacs.Dicom.IO;

/// <summary>
/// A buffered forward reader over a stream that knows its absolute offset, how much is left (when the stream can
/// tell), and never allocates a length the stream cannot supply.
/// </summary>
internal sealed class ByteSource : IDisposable
{
    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private int _pos;
    private int _len;
    private long _bufferStart;
    private readonly long _end; // absolute end offset, or -1 when unknown

    public ByteSource(Stream stream, int bufferSize = 64 * 1024, long startOffset = -1)
    {
        _stream = stream;
        // Pooled, and no larger than a small file needs: a parse should not cost 64 KiB of garbage per file.
        if (stream.CanSeek) bufferSize = (int)Math.Clamp(stream.Length - stream.Position, 256, bufferSize);
        _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bufferSize);
        CanSeek = stream.CanSeek;
        _bufferStart = startOffset >= 0 ? startOffset : CanSeek ? stream.Position : 0;
        _end = CanSeek ? stream.Length : -1;
        if (CanSeek && startOffset >= 0 && startOffset != stream.Position) throw new ArgumentException("start offset must match the stream position");
    }

    public bool CanSeek { get; }

    public void Dispose() => System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
    public long Position => _bufferStart + _pos;

    /// <summary>Bytes left, or -1 when the stream cannot tell.</summary>
    public long Remaining => _end < 0 ? -1 : _end - Position;

    public bool TryEnsure(int count)
    {
        if (_len - _pos >= count) return true;
        if (_pos > 0)
        {
            Buffer.BlockCopy(_buffer, _pos, _buffer, 0, _len - _pos);
            _bufferStart += _pos;
            _len -= _pos;
            _pos = 0;
        }
        while (_len < count)
        {
            var n = _stream.Read(_buffer, _len, _buffer.Length - _len);
            if (n == 0) return false;
            _len += n;
        }
        return true;
    }

    public bool IsAtEnd => !TryEnsure(1);

    public ReadOnlySpan<byte> Peek(int count) => TryEnsure(count) ? _buffer.AsSpan(_pos, count) : ReadOnlySpan<byte>.Empty;

    private void Require(int count, string what)
    {
        if (!TryEnsure(count))
            throw new DicomParseException($"Unexpected end of data while reading {what}", Position);
    }

    public ushort ReadUInt16(bool bigEndian, string what = "a 16-bit value")
    {
        Require(2, what);
        var v = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_pos)) : BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_pos));
        _pos += 2;
        return v;
    }

    public uint ReadUInt32(bool bigEndian, string what = "a 32-bit value")
    {
        Require(4, what);
        var v = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(_pos)) : BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_pos));
        _pos += 4;
        return v;
    }

    public (byte, byte) ReadTwoBytes()
    {
        Require(2, "a VR");
        var r = (_buffer[_pos], _buffer[_pos + 1]);
        _pos += 2;
        return r;
    }

    public byte[] ReadBytes(long count, string what) => ReadBytes(count, new ValueName(what));

    public void Skip(long count, string what) => Skip(count, new ValueName(what));

    /// <summary>Reads exactly <paramref name="count"/> bytes. The length is checked against what is left before any allocation.</summary>
    public byte[] ReadBytes(long count, ValueName what)
    {
        if (count < 0) throw new DicomParseException($"Negative length for {what}", Position);
        var remaining = Remaining;
        if (remaining >= 0 && count > remaining)
            throw new DicomParseException($"{what} declares {count} bytes but only {remaining} remain", Position);
        if (count > Array.MaxLength)
            throw new DicomParseException($"{what} of {count} bytes is too large to hold in memory", Position);
        if (remaining < 0 && count > 16 * 1024 * 1024) return ReadUnknownLengthChunked(count, what);
        var result = new byte[count];
        var done = 0;
        var buffered = Math.Min(_len - _pos, (int)count);
        if (buffered > 0)
        {
            Buffer.BlockCopy(_buffer, _pos, result, 0, buffered);
            _pos += buffered;
            done = buffered;
        }
        while (done < count)
        {
            var n = _stream.Read(result, done, (int)count - done);
            if (n == 0) throw new DicomParseException($"Unexpected end of data in {what}: {count} bytes declared, {done} present", Position + done);
            done += n;
            _bufferStart += n;
        }
        return result;
    }

    // On a stream of unknown length a declared length may be a lie: grow with the data actually received.
    private byte[] ReadUnknownLengthChunked(long count, ValueName what)
    {
        using var ms = new MemoryStream();
        var chunk = new byte[1024 * 1024];
        long done = 0;
        while (done < count)
        {
            var want = (int)Math.Min(chunk.Length, count - done);
            var got = 0;
            var fromBuffer = Math.Min(_len - _pos, want);
            if (fromBuffer > 0)
            {
                Buffer.BlockCopy(_buffer, _pos, chunk, 0, fromBuffer);
                _pos += fromBuffer;
                got = fromBuffer;
            }
            while (got < want)
            {
                var n = _stream.Read(chunk, got, want - got);
                if (n == 0) throw new DicomParseException($"Unexpected end of data in {what}: {count} bytes declared, {done + got} present", Position);
                got += n;
                _bufferStart += n;
            }
            ms.Write(chunk, 0, got);
            done += got;
        }
        return ms.ToArray();
    }

    public void Skip(long count, ValueName what)
    {
        var remaining = Remaining;
        if (remaining >= 0 && count > remaining)
            throw new DicomParseException($"{what} declares {count} bytes but only {remaining} remain", Position);
        var buffered = Math.Min(_len - _pos, count);
        _pos += (int)buffered;
        count -= buffered;
        if (count == 0) return;
        if (CanSeek)
        {
            _bufferStart = _bufferStart + _len + count;
            _pos = 0;
            _len = 0;
            _stream.Seek(_bufferStart, SeekOrigin.Begin);
            return;
        }
        var scratch = new byte[Math.Min(count, 81920)];
        while (count > 0)
        {
            var n = _stream.Read(scratch, 0, (int)Math.Min(scratch.Length, count));
            if (n == 0) throw new DicomParseException($"Unexpected end of data while skipping {what}", Position);
            _bufferStart += n;
            count -= n;
        }
        _bufferStart += _len;
        _pos = 0;
        _len = 0;
    }

    /// <summary>The rest of the data (what is buffered, then the stream) as a stream, for the deflated part of a file.</summary>
    public Stream DetachRemaining()
    {
        if (CanSeek)
        {
            _stream.Seek(Position, SeekOrigin.Begin);
            return _stream;
        }
        // A copy: the pooled buffer goes back to the pool when this source is disposed.
        var head = new MemoryStream(_buffer.AsSpan(_pos, _len - _pos).ToArray(), writable: false);
        return new ConcatStream([() => head, () => _stream], disposeParts: false);
    }
}

/// <summary>What a value is, for error messages; formatted only when an error is reported (no allocation per element).</summary>
internal readonly struct ValueName
{
    private readonly string? _text;
    private readonly DicomTag _tag;
    private readonly VR _vr;

    public ValueName(string text) => _text = text;

    public ValueName(DicomTag tag, VR vr)
    {
        _tag = tag;
        _vr = vr;
    }

    public override string ToString() => _text ?? $"the value of {_tag} {_vr}";
}

