using Microsoft.Win32.SafeHandles;

namespace TciaPacs.Dicom.IO;

/// <summary>
/// Reads values left in their file (<see cref="FileBuffer"/>, little endian ones) through one open handle per file, for
/// callers that read many in a row — the thousands of fragments of a cine — where opening the file for each would cost
/// more than the reading. Not thread-safe; dispose it to close the handle.
/// </summary>
public sealed class FileBufferReader : IDisposable
{
    private SafeFileHandle? _handle;
    private string? _path;
    private long _fileLength;

    /// <summary>Fills <paramref name="destination"/> from the value, starting <paramref name="position"/> bytes into it.</summary>
    public void Read(FileBuffer value, long position, Span<byte> destination)
    {
        if (value.SwapUnit > 1) throw new ArgumentException("a big endian value is swapped as it is read: use OpenRead()", nameof(value));
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(position + destination.Length, value.Length);
        var handle = HandleFor(value);
        while (destination.Length > 0)
        {
            var n = RandomAccess.Read(handle, destination, value.Offset + position);
            if (n == 0) throw value.Truncated();
            destination = destination[n..];
            position += n;
        }
    }

    /// <summary>Copies the whole value to <paramref name="destination"/> through <paramref name="scratch"/>.</summary>
    public void CopyTo(FileBuffer value, Stream destination, byte[] scratch)
    {
        for (long done = 0; done < value.Length;)
        {
            var n = (int)Math.Min(scratch.Length, value.Length - done);
            Read(value, done, scratch.AsSpan(0, n));
            destination.Write(scratch, 0, n);
            done += n;
        }
    }

    private SafeFileHandle HandleFor(FileBuffer value)
    {
        if (_handle == null || _path != value.Path)
        {
            _handle?.Dispose();
            _handle = File.OpenHandle(value.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            _path = value.Path;
            _fileLength = RandomAccess.GetLength(_handle);
        }
        if (_fileLength < value.Offset + value.Length) throw value.Truncated();
        return _handle;
    }

    public void Dispose() => _handle?.Dispose();
}
