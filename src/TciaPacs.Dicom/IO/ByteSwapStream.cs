namespace TciaPacs.Dicom.IO;

/// <summary>Reads an inner stream and reverses the bytes of each unit (2, 4 or 8 bytes): big endian in, little endian out.</summary>
internal sealed class ByteSwapStream(Stream inner, int unit) : Stream
{
    private readonly byte[] _carry = new byte[8];
    private int _carryCount;   // bytes of an incomplete unit read but not yet returned
    private int _pending;      // swapped bytes in _carry waiting to be returned
    private int _pendingStart;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        if (_pending > 0)
        {
            var n = Math.Min(_pending, buffer.Length);
            _carry.AsSpan(_pendingStart, n).CopyTo(buffer);
            _pendingStart += n;
            _pending -= n;
            return n;
        }
        if (buffer.Length < unit)
        {
            // Fill one whole unit into the carry buffer, then hand it out piecewise.
            while (_carryCount < unit)
            {
                var r = inner.Read(_carry.AsSpan(_carryCount, unit - _carryCount));
                if (r == 0) break;
                _carryCount += r;
            }
            if (_carryCount == 0) return 0;
            if (_carryCount == unit) _carry.AsSpan(0, unit).Reverse();
            _pending = _carryCount;
            _pendingStart = 0;
            _carryCount = 0;
            return Read(buffer);
        }
        var want = buffer.Length - buffer.Length % unit;
        var got = 0;
        while (got < want)
        {
            var r = inner.Read(buffer.Slice(got, want - got));
            if (r == 0) break;
            got += r;
            if (got % unit == 0) break;
        }
        var whole = got - got % unit;
        for (var i = 0; i < whole; i += unit) buffer.Slice(i, unit).Reverse();
        // A trailing odd byte at the end of the value (odd length) is returned as it is.
        return got;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
