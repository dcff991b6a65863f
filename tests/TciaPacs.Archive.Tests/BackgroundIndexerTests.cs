using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Tests;

/// <summary>
/// Index updates run on the indexer's thread, in order, and whatever reads the index waits for those queued before it:
/// an index slow to update (here 2 ms per instance) must still show every instance to the next search.
/// </summary>
public sealed class BackgroundIndexerTests
{
    [Test]
    public void A_search_sees_every_update_queued_before_it()
    {
        var slow = new SlowIndex();
        using var indexer = new BackgroundIndexer(slow);
        for (var i = 0; i < 50; i++) indexer.Index(Instance($"1.2.{i}"));
        Assert.That(indexer.Search(new DicomQuery(QueryLevel.Image, []), 1000), Has.Count.EqualTo(50));
        indexer.Delete("1.2.7");
        Assert.That(indexer.InstanceCount, Is.EqualTo(49), "a delete queued after the updates runs after them");
    }

    [Test]
    public void A_few_updates_with_no_read_after_them_still_run_on_their_own()
    {
        // The indexer is woken per batch, not per update; fewer than a batch must not wait for a read that may never come.
        var slow = new SlowIndex { Delay = TimeSpan.Zero };
        using var indexer = new BackgroundIndexer(slow);
        for (var i = 0; i < 3; i++) indexer.Index(Instance($"1.8.{i}"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (slow.Count < 3 && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(10);
        Assert.That(slow.Count, Is.EqualTo(3));
    }

    [Test]
    public void Updates_from_many_threads_all_land_and_a_commit_follows_them()
    {
        var slow = new SlowIndex { Delay = TimeSpan.Zero };
        using var indexer = new BackgroundIndexer(slow);
        Parallel.For(0, 4000, i => indexer.Index(Instance($"1.3.{i}"))); // more than the queue holds: adding waits
        indexer.Commit();
        Assert.That(slow.CommittedCount, Is.EqualTo(4000));
    }

    [Test]
    public void Producers_waiting_for_room_in_a_full_queue_do_not_stall_the_indexer()
    {
        // The indexer sits on its first update while eight threads fill the queue (2,048) and then wait for room; once
        // it goes on, each update it finishes must make room. (Producers that waited for room while holding the lock
        // the indexer takes after each update stalled it for good.)
        using var hold = new ManualResetEventSlim(false);
        var slow = new SlowIndex { Delay = TimeSpan.Zero, Hold = hold };
        var indexer = new BackgroundIndexer(slow);
        var producers = Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < 300; i++) indexer.Index(Instance($"1.7.{t}.{i}"));
        }, TaskCreationOptions.LongRunning)));
        Thread.Sleep(500);
        Assert.That(producers.IsCompleted, Is.False, "2,400 updates do not fit a queue of 2,048 while the indexer is held");
        hold.Set();
        // No dispose when stalled: it would wait for the indexer's thread forever.
        Assert.That(producers.Wait(TimeSpan.FromSeconds(30)), Is.True, "every producer got room");
        indexer.Commit();
        Assert.That(slow.CommittedCount, Is.EqualTo(2400));
        indexer.Dispose();
    }

    [Test]
    public void It_commits_every_so_many_updates_on_its_own()
    {
        var slow = new SlowIndex { Delay = TimeSpan.Zero };
        using var indexer = new BackgroundIndexer(slow, commitEvery: 10);
        for (var i = 0; i < 25; i++) indexer.Index(Instance($"1.6.{i}"));
        Assert.That(indexer.InstanceCount, Is.EqualTo(25));
        Assert.That(slow.Commits, Is.EqualTo(2), "after the 10th and the 20th update");
        Assert.That(slow.CommittedCount, Is.EqualTo(20));
    }

    [Test]
    public void A_failing_update_is_reported_and_does_not_stop_the_next()
    {
        var warnings = new List<string>();
        var slow = new SlowIndex { FailOn = "1.4.1" };
        using var indexer = new BackgroundIndexer(slow, w => { lock (warnings) warnings.Add(w); });
        for (var i = 0; i < 3; i++) indexer.Index(Instance($"1.4.{i}"));
        Assert.That(indexer.InstanceCount, Is.EqualTo(2));
        Assert.That(warnings, Has.Count.EqualTo(1).And.Some.Contains("reindex"));
    }

    [Test]
    public void After_dispose_an_update_is_refused_and_nothing_waits()
    {
        var slow = new SlowIndex();
        var indexer = new BackgroundIndexer(slow);
        indexer.Index(Instance("1.5.1"));
        indexer.Dispose();
        Assert.That(slow.Count, Is.EqualTo(1), "what was queued ran before the index closed");
        Assert.That(slow.Disposed, Is.True);
        Assert.That(() => indexer.Index(Instance("1.5.2")), Throws.InstanceOf<ObjectDisposedException>());
    }

    private static IndexedInstance Instance(string sop) => new("default", "P", "1.1", "1.1.1", sop, new DicomDataset()) { IsNew = true };

    private sealed class SlowIndex : IQueryIndex
    {
        private readonly List<string> _sops = [];
        public TimeSpan Delay { get; init; } = TimeSpan.FromMilliseconds(2);
        public string? FailOn { get; init; }
        public int CommittedCount { get; private set; }
        public bool Disposed { get; private set; }
        public int Count { get { lock (_sops) return _sops.Count; } }

        /// <summary>When set, each update first waits for it (the indexer stays on its first update until it is set).</summary>
        public ManualResetEventSlim? Hold { get; init; }

        public void Index(IndexedInstance instance)
        {
            Hold?.Wait();
            if (Delay > TimeSpan.Zero) Thread.Sleep(Delay);
            if (instance.SopInstanceUid == FailOn) throw new InvalidOperationException("disk full");
            lock (_sops) _sops.Add(instance.SopInstanceUid);
        }

        public void Delete(string sopInstanceUid) { lock (_sops) _sops.Remove(sopInstanceUid); }
        public int Commits { get; private set; }
        public void Commit() { lock (_sops) { CommittedCount = _sops.Count; Commits++; } }
        public void Clear() { lock (_sops) _sops.Clear(); }
        public IReadOnlyList<string> Search(DicomQuery query, int maxResults) { lock (_sops) return _sops.Take(maxResults).ToList(); }
        public int InstanceCount => Count;
        public IReadOnlyList<IndexedAttribute> Attributes { get; } = [];
        public void Dispose() => Disposed = true;
    }
}
