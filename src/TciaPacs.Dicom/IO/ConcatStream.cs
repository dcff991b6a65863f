namespace TciaPacs.Dicom.IO;

/// <summary>
/// Reads streams one after another, each opened when the one before is used up (and, with <c>disposeParts</c>,
/// disposed then), so that a value made of parts in files holds one of them open at a time.
/// </summary>
internal sealed class ConcatStream(IReadOnlyList<Func<Stream>> parts, bool disposeParts) : Stream
{
    private int _next;
    private Stream? _current;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            if (_current == null)
            {
                if (_next == parts.Count) return 0;
                _current = parts[_next++]();
            }
            var n = _current.Read(buffer);
            if (n > 0) return n;
            Done();
        }
    }

    private void Done()
    {
        if (disposeParts) _current?.Dispose();
        _current = null;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) Done();
        base.Dispose(disposing);
    }
}
