using System.Collections.Concurrent;
using TciaPacs.Archive.Query;

namespace TciaPacs.Archive.Indexing;

/// <summary>
/// Runs index updates on one thread of their own, after the store that asked for them has answered its sender: the
/// catalog is the record, so a store is complete once the catalog has committed it, and indexing (about a millisecond
/// of CPU per instance) need not sit between a C-STORE and its response. Order is kept (updates and deletes run in the
/// order they came), and anything that reads the index — a search, the instance count, a commit — first waits until
/// every update queued before it has run, so a query still finds every instance stored before it. One writer thread
/// also means one Lucene segment buffer instead of one per storing thread: fewer, larger segments to merge.
/// </summary>
public sealed class BackgroundIndexer : IQueryIndex
{
    // Bounded: a sender faster than the indexer is slowed down here rather than filling memory with headers.
    private const int Capacity = 2048;
    // The indexer is not woken for each update: at WakeAt waiting, when something reads the index, or IdleWake after
    // the first update that found it idle (with nothing queued it sleeps until then: no timer ticks in an idle server).
    // Woken per store, it ran beside every store's own work on a 2-core host, and each wake-up cost the storing thread
    // a cross-CPU signal; in batches it runs less often (four associations: 13 of 16 side-by-side rounds faster). A read
    // waits for what is queued either way; a batch is at most WakeAt updates, a few milliseconds of indexing.
    private const int WakeAt = 32;
    private static readonly TimeSpan IdleWake = TimeSpan.FromMilliseconds(20);
    private readonly IQueryIndex _inner;
    private readonly Action<string>? _onWarning;
    private readonly int _commitEvery;
    private int _sinceCommit;
    private readonly ConcurrentQueue<Action> _queue = new();
    private readonly SemaphoreSlim _slots = new(Capacity, Capacity);
    // A kernel-backed event, not a BlockingCollection: its Take spins (sched_yield) each time the queue runs dry, which
    // with one association storing is after every instance, and that spin took CPU from the stores on a 2-core host.
    private readonly AutoResetEvent _signal = new(false);
    private bool _idle; // the indexer sleeps with nothing queued (under _gate): the next update wakes it
    private volatile bool _completed;
    private readonly Thread _thread;
    private readonly object _gate = new();
    private long _queued;
    private long _done;
    private bool _disposed;

    /// <param name="commitEvery">Commit the index after this many updates (on the indexer's thread); 0: only when asked.</param>
    public BackgroundIndexer(IQueryIndex inner, Action<string>? onWarning = null, int commitEvery = 0)
    {
        _inner = inner;
        _onWarning = onWarning;
        _commitEvery = commitEvery;
        _thread = new Thread(Run) { IsBackground = true, Name = "query-indexer" };
        _thread.Start();
    }

    public IReadOnlyList<IndexedAttribute> Attributes => _inner.Attributes;

    public void Index(IndexedInstance instance) => Enqueue(() => _inner.Index(
        !_anyMoved || !_moved.TryGetValue(instance.StudyInstanceUid, out var moved) || moved == instance.Collection ? instance : instance with { Collection = moved }));

    // Studies a curator moved since start, by Study Instance UID: a store that reached the catalog just before the
    // move may queue its update after the move has indexed the study again, naming the old collection. The flag spares
    // every other update the lookup (ConcurrentDictionary.IsEmpty takes every lock when it is empty).
    private readonly ConcurrentDictionary<string, string> _moved = new(StringComparer.Ordinal);
    private volatile bool _anyMoved;

    /// <summary>From now on, updates of the study's instances (queued or to come) index them in <paramref name="collection"/>.</summary>
    public void MoveStudy(string studyUid, string collection)
    {
        _moved[studyUid] = collection;
        _anyMoved = true;
    }

    /// <summary>A study no longer stored (a curator deleted it): sent again later, it is indexed where it is sent.</summary>
    public void ForgetStudy(string studyUid) => _moved.TryRemove(studyUid, out _);

    public void Delete(string sopInstanceUid) => Enqueue(() => _inner.Delete(sopInstanceUid));

    public void Commit()
    {
        CatchUp();
        _inner.Commit();
    }

    public void Clear()
    {
        CatchUp();
        _inner.Clear();
    }

    public IReadOnlyList<string> Search(DicomQuery query, int maxResults)
    {
        CatchUp();
        return _inner.Search(query, maxResults);
    }

    public int InstanceCount
    {
        get
        {
            CatchUp();
            return _inner.InstanceCount;
        }
    }

    private void Enqueue(Action update)
    {
        // A free slot first, outside the gate: the indexer takes the gate after every update, so a producer waiting for
        // a slot while holding it would wait for itself. The slot wait blocks only while the queue is full.
        _slots.Wait();
        // Counted and queued under the gate, so that Dispose (which sets _disposed under it) never sees an update
        // counted but not queued.
        lock (_gate)
        {
            if (_disposed)
            {
                _slots.Release();
                throw new ObjectDisposedException(nameof(BackgroundIndexer));
            }
            _queued++;
            _queue.Enqueue(update);
            if (_idle || _queued - _done >= WakeAt)
            {
                _idle = false;
                _signal.Set();
            }
        }
    }

    /// <summary>Waits until every update queued before the call has run.</summary>
    private void CatchUp()
    {
        lock (_gate)
        {
            var target = _queued;
            if (_done < target) _signal.Set();
            while (_done < target) Monitor.Wait(_gate);
        }
    }

    private void Run()
    {
        while (true)
        {
            if (!_queue.TryDequeue(out var update))
            {
                if (_completed) return;
                bool idle;
                lock (_gate) idle = _idle = _queued == _done;
                // Idle: sleep until the first update (or a read, or the close), then gather a batch for IdleWake.
                if (idle) _signal.WaitOne();
                if (!_completed) _signal.WaitOne(IdleWake);
                continue;
            }
            _slots.Release();
            try
            {
                update();
                if (_commitEvery > 0 && ++_sinceCommit >= _commitEvery)
                {
                    _sinceCommit = 0;
                    _inner.Commit();
                }
            }
            catch (Exception ex)
            {
                _onWarning?.Invoke(UpdateFailed(ex));
            }
            lock (_gate)
            {
                _done++;
                Monitor.PulseAll(_gate);
            }
        }
    }

    // The catalog is the source of truth; a failed index update is repaired by rebuilding the index from it.
    internal static string UpdateFailed(Exception ex) =>
        $"query index update failed for an instance (rebuild the index with 'tciapacs reindex'): {ex.Message}";

    /// <summary>Runs what is queued, then disposes the index it wraps (without committing: the owner commits first).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        // Nothing is enqueued once _disposed is set, so the thread drains the queue and stops.
        _completed = true;
        _signal.Set();
        _thread.Join();
        // _slots is not disposed: a producer may still be waiting on it, and a SemaphoreSlim holds no handle unless asked.
        _signal.Dispose();
        _inner.Dispose();
    }
}
