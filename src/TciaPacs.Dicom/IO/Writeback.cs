using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TciaPacs.Dicom.IO;

/// <summary>
/// Starts writing a file's dirty pages to its device without waiting for them (Linux <c>sync_file_range(2)</c> with
/// <c>SYNC_FILE_RANGE_WRITE</c>): the disk then works while the caller goes on, and a later fsync or syncfs has less
/// left to write. It makes nothing durable by itself (no metadata, no device cache flush). Best effort: a no-op
/// elsewhere and on any error.
/// </summary>
public static class Writeback
{
    private const uint SyncFileRangeWrite = 2;
    private static bool _unavailable = !OperatingSystem.IsLinux();

    // DllImport rather than LibraryImport: this project has no unsafe code, and a SafeHandle and two longs need none.
    [DllImport("libc", EntryPoint = "sync_file_range", SetLastError = false)]
    private static extern int SyncFileRange(SafeFileHandle file, long offset, long count, uint flags);

    /// <summary>Starts writeback of <paramref name="count"/> bytes from <paramref name="offset"/> (0: to the end of the file).</summary>
    public static void Start(SafeFileHandle file, long offset = 0, long count = 0)
    {
        if (_unavailable || file.IsInvalid || file.IsClosed) return;
        try
        {
            SyncFileRange(file, offset, count, SyncFileRangeWrite);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
        }
    }
}
