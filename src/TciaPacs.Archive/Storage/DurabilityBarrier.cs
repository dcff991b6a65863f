using System.Runtime.InteropServices;
using TciaPacs.Dicom.Diagnostics;

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
    // A dedicated thread, not the thread pool: queued behind the stores' CPU work, a sync would start late and every
    // store waiting on it would wait longer (measured: most of an import's in-flight time was spent here).
    private readonly AutoResetEvent _signal = new(false);
    private Thread? _thread;
    private volatile bool _disposed;

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
        Task task;
        lock (_gate)
        {
            if (_disposed) return Task.FromException(new ObjectDisposedException(nameof(DurabilityBarrier)));
            _waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            task = _waiting.Task;
            if (_thread == null)
            {
                // Started by the first store, so that a file store only read from (query, reindex) has no idle thread.
                _thread = new Thread(Loop) { IsBackground = true, Name = "file-sync" };
                _thread.Start();
            }
        }
        _signal.Set();
        return task;
    }

    private void Loop()
    {
        while (true)
        {
            _signal.WaitOne();
            var closing = _disposed;
            SyncWaiting();
            if (closing) return;
        }
    }

    // Everyone who asked before this point is covered by the syncfs about to start; later callers wait for the next.
    private void SyncWaiting()
    {
        TaskCompletionSource? batch;
        lock (_gate)
        {
            batch = _waiting;
            _waiting = null;
        }
        if (batch == null) return;
        StageTrace.Mark(StageTrace.SyncStarted);
        var rc = SyncFs(_fd);
        var errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        StageTrace.Mark(StageTrace.SyncEnded);
        if (rc == 0) batch.SetResult();
        else batch.SetException(new IOException($"syncfs of the data folder failed (errno {errno}); the instance was not stored"));
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _signal.Set();
        _thread?.Join();
        Close(_fd);
    }
}
