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

    internal DicomParseException Truncated() => new($"'{Path}' is shorter than the value it should hold ({Length} bytes at offset {Offset}).", Offset);
}
