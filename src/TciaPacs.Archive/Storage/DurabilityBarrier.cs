using System.Runtime.InteropServices;

namespace TciaPacs.Archive.Storage;

/// <summary>
/// Group durability for the file store (Linux): instead of fsync of each file and of its folder, a store that has
/// written and renamed its file waits here, and one syncfs(2) of the data folder's file system makes every write made
/// before it durable — file data, new names and folders — for all the stores waiting at once. Like the catalog's group
/// commit, this batches without weakening the rule: nothing is acknowledged (or even recorded in the catalog) before
/// its file is durable. A store that arrives while a syncfs runs waits for the next one, since its writes may have
/// come after the running one began.
/// </summary>
internal sealed partial class DurabilityBarrier : IDisposable
{
    private readonly int _fd;
    private readonly object _gate = new();
    private TaskCompletionSource? _waiting;
    private bool _running;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    private DurabilityBarrier(int fd) => _fd = fd;

    /// <summary>A barrier for the file system of <paramref name="directory"/>, or null where syncfs(2) is not available.</summary>
    public static DurabilityBarrier? TryCreate(string directory)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var fd = Open(directory, 0);
        return fd < 0 ? null : new DurabilityBarrier(fd);
    }

    /// <summary>Completes once everything written before the call is on stable storage.</summary>
    public Task WaitAsync()
    {
        lock (_gate)
        {
            _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var task = _waiting.Task;
            if (!_running) StartNext();
            return task;
        }
    }

    // Called under _gate with a waiting batch.
    private void StartNext()
    {
        var batch = _waiting!;
        _waiting = null;
        _running = true;
        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            if (SyncFs(_fd) == 0) batch.SetResult();
            else batch.SetException(new IOException($"syncfs of the data folder failed (errno {Marshal.GetLastPInvokeError()}); the instance was not stored"));
            lock (_gate)
            {
                _running = false;
                if (_waiting != null) StartNext();
            }
        }, null);
    }

    public void Dispose() => Close(_fd);
}
