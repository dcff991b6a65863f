using System.Runtime.InteropServices;

namespace TciaPacs.Archive.Storage;

/// <summary>
/// fsync of directories, which .NET does not expose: after a rename, the directory entry itself must reach the disk
/// for the new name to survive a crash (POSIX rename(2)/fsync(2)). On Windows, MoveFileEx is durable on NTFS and
/// there is nothing to do.
/// </summary>
internal static partial class DurableIO
{
    private const int O_RDONLY = 0;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        var fd = Open(directory, O_RDONLY);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>Creates <paramref name="directory"/> and any missing parents, syncing each parent that gained an entry.</summary>
    public static void CreateDirectoryDurably(string directory)
    {
        if (Directory.Exists(directory)) return;
        var parent = Path.GetDirectoryName(directory);
        if (parent != null) CreateDirectoryDurably(parent);
        Directory.CreateDirectory(directory);
        if (parent != null) SyncDirectory(parent);
    }
}
