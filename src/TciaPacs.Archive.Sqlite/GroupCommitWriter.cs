using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using TciaPacs.Dicom.Diagnostics;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Archive.Sqlite;

/// <summary>
/// The single writer connection. Work items queue up; a dedicated thread runs every item waiting into one transaction
/// (each inside its own savepoint, so one failing item rolls back alone) and commits: with WAL and synchronous=FULL
/// the commit is durable, and only then is any item's task completed (group commit: one fsync for many stores,
/// nothing acknowledged before it is durable). A batch whose items all said they need no flush (new instances whose
/// durable files recovery would adopt) commits with synchronous=NORMAL: written to the WAL, not flushed; WAL frames are
/// checksummed, so a power loss loses such a commit whole or not at all, never half of it.
/// </summary>
internal sealed class GroupCommitWriter : IDisposable
{
    private const int MaxBatch = 256;
    private readonly SqliteConnection _connection;
    private readonly ConcurrentQueue<WorkItem> _queue = new();
    // A kernel-backed event, not a channel awaited synchronously: the writer sleeps between stores instead of spinning
    // (with one association sending, items come milliseconds apart, and a spin costs a core's time on a 2-core host).
    private readonly AutoResetEvent _signal = new(false);
    private volatile bool _completed;
    private readonly Thread _thread;
    private bool? _flushing;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _wal;
    private bool _noWal;

    public GroupCommitWriter(SqliteConnection connection)
    {
        _connection = connection;
        Sql.CacheStatements(connection);
        _thread = new Thread(Loop) { IsBackground = true, Name = "catalog-writer" };
        _thread.Start();
    }

    /// <summary>
    /// Queues <paramref name="work"/>; its result once committed. With <paramref name="durableFirst"/>, the work runs
    /// at once but the transaction holding it commits only after that task succeeds; if it fails, the whole batch rolls
    /// back (a failing disk) and each item fails. With <paramref name="resumeOnWriter"/>, the awaiting code resumes on
    /// this writer's thread once the batch has committed, instead of waiting for a pool thread to wake: only for short
    /// continuations that never wait on the writer (see <see cref="Catalog.ICatalog.CommitAsync"/>).
    /// </summary>
    public Task<T> Enqueue<T>(Func<SqliteConnection, SqliteTransaction, T> work, Task? durableFirst = null, bool flush = true, bool resumeOnWriter = false)
    {
        if (_completed) return Task.FromException<T>(new ObjectDisposedException(nameof(GroupCommitWriter)));
        var item = new WorkItem<T>(work, resumeOnWriter) { DurableFirst = durableFirst, Flush = flush };
        _queue.Enqueue(item);
        _signal.Set();
        return item.Task;
    }

    private void Loop()
    {
        var batch = new List<WorkItem>(MaxBatch);
        while (true)
        {
            if (_queue.IsEmpty)
            {
                if (_completed) break;
                _signal.WaitOne();
                continue;
            }
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.TryDequeue(out var w)) batch.Add(w);
            try
            {
                SetFlushing(batch.Exists(w => w.Flush));
                using var tx = _connection.BeginTransaction();
                foreach (var w in batch)
                {
                    // Through the statement cache: SqliteTransaction.Save and Release prepare their statement anew each time.
                    Sql.Execute(_connection, tx, "SAVEPOINT item");
                    try
                    {
                        w.Run(_connection, tx);
                        Sql.Execute(_connection, tx, "RELEASE item");
                    }
                    catch (Exception ex)
                    {
                        Sql.Execute(_connection, tx, "ROLLBACK TO item");
                        Sql.Execute(_connection, tx, "RELEASE item");
                        w.Error = ex;
                    }
                }
                StageTrace.Mark(StageTrace.StatementsRun);
                if (WaitForDurability(batch) is { } failure)
                {
                    tx.Rollback();
                    foreach (var w in batch) w.Error ??= failure;
                }
                else
                {
                    StageTrace.Mark(StageTrace.CommitStarted);
                    tx.Commit();
                    StageTrace.Mark(StageTrace.Committed);
                }
            }
            catch (Exception ex)
            {
                foreach (var w in batch) w.Error ??= ex;
                foreach (var w in batch) w.MarkUncommitted();
            }
            foreach (var w in batch) w.Complete();
            if (_flushing == false) StartWalWriteback();
        }
        // An item enqueued while closing never ran: fail it rather than leave its caller waiting.
        while (_queue.TryDequeue(out var left))
        {
            left.Error = new ObjectDisposedException(nameof(GroupCommitWriter));
            left.Complete();
        }
    }

    // A commit with synchronous=NORMAL leaves its WAL frames dirty in the page cache; the durability barrier's next
    // syncfs (the next store's) would write them first. Started now, the disk writes them while that store arrives.
    private void StartWalWriteback()
    {
        if (_noWal) return;
        try
        {
            _wal ??= File.OpenHandle(_connection.DataSource + "-wal", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Writeback.Start(_wal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _noWal = true; // no WAL file beside the data source (in memory, or a link SQLite resolved): nothing to do
        }
    }

    // Outside a transaction: the setting applies to the commits after it.
    private void SetFlushing(bool flush)
    {
        if (_flushing == flush) return;
        Sql.Execute(_connection, null, flush ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        _flushing = flush;
    }

    /// <summary>Waits for the files of the batch to be durable; the first failure, or null.</summary>
    private static Exception? WaitForDurability(List<WorkItem> batch)
    {
        foreach (var w in batch)
        {
            if (w.DurableFirst == null || w.Error != null) continue;
            try
            {
                // Block without spinning (Task.Wait spins first): the sync takes about a millisecond.
                if (!w.DurableFirst.IsCompleted) ((IAsyncResult)w.DurableFirst).AsyncWaitHandle.WaitOne();
                w.DurableFirst.GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                return ex;
            }
        }
        return null;
    }

    /// <summary>
    /// Closing from the writer's own thread would join itself and never return: a clear error instead of a hang, for a
    /// continuation resumed here (resumeOnWriter). The catalog calls it before it closes anything else.
    /// </summary>
    public void ThrowIfOnWriterThread()
    {
        if (Thread.CurrentThread == _thread)
            throw new InvalidOperationException("the catalog cannot be closed from code that resumed on its writer thread (resumeOnWriter); close it from another thread");
    }

    public void Dispose()
    {
        ThrowIfOnWriterThread();
        if (_completed) return;
        _completed = true;
        _signal.Set();
        _thread.Join();
        _signal.Dispose();
        Sql.ReleaseStatements(_connection);
        _wal?.Dispose();
        _connection.Dispose();
    }

    private abstract class WorkItem
    {
        public Exception? Error { get; set; }
        public Task? DurableFirst { get; init; }
        public bool Flush { get; init; } = true;
        public abstract void Run(SqliteConnection connection, SqliteTransaction tx);
        public abstract void Complete();
        public void MarkUncommitted() => Error ??= new InvalidOperationException("the catalog transaction did not commit");
    }

    private sealed class WorkItem<T>(Func<SqliteConnection, SqliteTransaction, T> work, bool resumeOnWriter) : WorkItem
    {
        private readonly TaskCompletionSource<T> _tcs = new(resumeOnWriter ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _tcs.Task;

        public override void Run(SqliteConnection connection, SqliteTransaction tx) => _result = work(connection, tx);

        public override void Complete()
        {
            if (Error != null) _tcs.TrySetException(Error);
            else _tcs.TrySetResult(_result!);
        }
    }
}
