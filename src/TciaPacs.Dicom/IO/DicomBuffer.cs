namespace TciaPacs.Dicom.IO;

/// <summary>
/// The bytes of a value, always little endian in memory. Either held in memory or left in the file it was read
/// from (a reopenable reference: path + offset + length), so that gigabyte pixel data is never loaded to be copied.
/// </summary>
public abstract class DicomBuffer
{
    public abstract long Length { get; }

    /// <summary>The bytes, loaded on demand for file references. Throws for values over 2 GiB: stream those.</summary>
    public abstract ReadOnlyMemory<byte> GetBytes();

    /// <summary>A stream over the bytes (little endian), positioned at 0.</summary>
    public abstract Stream OpenRead();

    public virtual async Task CopyToAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        await using var s = OpenRead();
        await s.CopyToAsync(destination, 81920, cancellationToken).ConfigureAwait(false);
    }

    public virtual void CopyTo(Stream destination)
    {
        using var s = OpenRead();
        s.CopyTo(destination, 81920);
    }

    /// <summary>
    /// <paramref name="length"/> bytes of the value from <paramref name="offset"/>, left where they are: a file
    /// reference stays a file reference (a frame of a gigabyte value is not loaded to be cut out).
    /// </summary>
    public virtual DicomBuffer Slice(long offset, long length)
    {
        CheckSlice(offset, length);
        return new SlicedBuffer(this, offset, length);
    }

    private protected void CheckSlice(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (offset + length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"{length} bytes at {offset} run past the value's {Length}.");
    }

    public static readonly DicomBuffer Empty = new MemoryBuffer(ReadOnlyMemory<byte>.Empty);
}

public sealed class MemoryBuffer(ReadOnlyMemory<byte> bytes) : DicomBuffer
{
    public ReadOnlyMemory<byte> Bytes { get; } = bytes;
    public override long Length => Bytes.Length;
    public override ReadOnlyMemory<byte> GetBytes() => Bytes;

    public override Stream OpenRead() =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(Bytes, out var seg)
            ? new MemoryStream(seg.Array!, seg.Offset, seg.Count, writable: false)
            : new MemoryStream(Bytes.ToArray(), writable: false);

    public override void CopyTo(Stream destination) => destination.Write(Bytes.Span);

    public override Task CopyToAsync(Stream destination, CancellationToken cancellationToken = default) =>
        destination.WriteAsync(Bytes, cancellationToken).AsTask();

    public override DicomBuffer Slice(long offset, long length)
    {
        CheckSlice(offset, length);
        return new MemoryBuffer(Bytes.Slice((int)offset, (int)length));
    }
}

/// <summary>
/// A value left in its file. <paramref name="swapUnit"/> &gt; 1 means the file is big endian and units of that size are
/// swapped as they are read, so callers always see little endian bytes.
/// </summary>
public sealed class FileBuffer(string path, long offset, long length, int swapUnit = 1) : DicomBuffer
{
    public string Path { get; } = path;
    public long Offset { get; } = offset;
    public override long Length { get; } = length;
    public int SwapUnit { get; } = swapUnit;

    public override ReadOnlyMemory<byte> GetBytes()
    {
        if (Length > Array.MaxLength)
            throw new InvalidOperationException($"Value of {Length} bytes in '{Path}' is too large to load; stream it with OpenRead().");
        var bytes = new byte[Length];
        using var s = OpenRead();
        s.ReadExactly(bytes);
        return bytes;
    }

    public override Stream OpenRead()
    {
        var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        if (file.Length < Offset + Length)
        {
            file.Dispose();
            throw Truncated();
        }
        file.Position = Offset;
        Stream window = new SubStream(file, Length);
        return SwapUnit > 1 ? new ByteSwapStream(window, SwapUnit) : window;
    }

    /// <summary>A window of the value in the same file; with byte swapping, it must start and end on whole units.</summary>
    public override DicomBuffer Slice(long offset, long length)
    {
        CheckSlice(offset, length);
        if (SwapUnit > 1 && (offset % SwapUnit != 0 || length % SwapUnit != 0))
            throw new ArgumentException($"A slice of a big endian value must hold whole {SwapUnit}-byte units.", nameof(offset));
        return new FileBuffer(Path, Offset + offset, length, SwapUnit);
    }

    internal DicomParseException Truncated() => new($"'{Path}' is shorter than the value it should hold ({Length} bytes at offset {Offset}).", Offset);
}

/// <summary>A window of another value that is neither in memory nor in a file (a decoded one): read by skipping to it.</summary>
internal sealed class SlicedBuffer(DicomBuffer inner, long offset, long length) : DicomBuffer
{
    public override long Length => length;

    public override ReadOnlyMemory<byte> GetBytes()
    {
        var bytes = new byte[length];
        using var s = OpenRead();
        s.ReadExactly(bytes);
        return bytes;
    }

    public override Stream OpenRead()
    {
        var s = inner.OpenRead();
        var skip = new byte[(int)Math.Min(81920, Math.Max(1, offset))];
        for (var left = offset; left > 0;)
        {
            var n = s.Read(skip, 0, (int)Math.Min(skip.Length, left));
            if (n == 0) { s.Dispose(); throw new EndOfStreamException($"the value ended before byte {offset}"); }
            left -= n;
        }
        return new SubStream(s, length);
    }
}

/// <summary>
/// A value made of parts of others, in order (the frames a frame-level retrieve keeps): each part is read or copied
/// in its turn, so parts left in files stay there.
/// </summary>
public sealed class ConcatenatedBuffer(IReadOnlyList<DicomBuffer> parts) : DicomBuffer
{
    public IReadOnlyList<DicomBuffer> Parts { get; } = parts;

    public override long Length { get; } = parts.Sum(p => p.Length);

    public override ReadOnlyMemory<byte> GetBytes()
    {
        if (Length > Array.MaxLength) throw new InvalidOperationException($"Value of {Length} bytes is too large to load; stream it with OpenRead().");
        var bytes = new byte[Length];
        var at = 0;
        foreach (var p in Parts)
        {
            p.GetBytes().Span.CopyTo(bytes.AsSpan(at));
            at += (int)p.Length;
        }
        return bytes;
    }

    public override Stream OpenRead() => new ConcatStream(Parts.Select(p => (Func<Stream>)p.OpenRead).ToList(), disposeParts: true);

    public override void CopyTo(Stream destination)
    {
        foreach (var p in Parts) p.CopyTo(destination);
    }

    public override async Task CopyToAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        foreach (var p in Parts) await p.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }
}
