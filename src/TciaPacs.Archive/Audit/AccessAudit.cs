using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace TciaPacs.Archive.Audit;

/// <summary>
/// Who took what out of the archive: one event per retrieval of a study (or series) by a user, an anonymous caller or a
/// DICOM peer, through any door.
/// </summary>
/// <param name="Who">The user, <c>anonymous</c>, or a DICOM caller's AE title (with its user, when one identified itself).</param>
/// <param name="Door"><c>dicomweb</c>, <c>nbia</c> or <c>dimse</c>.</param>
/// <param name="Action"><c>retrieve</c> (WADO-RS, WADO-URI, NBIA), <c>move</c> or <c>get</c> (DIMSE).</param>
public sealed record AccessEvent(DateTimeOffset At, string Who, string Door, string Action, string Collection, string StudyInstanceUid, string? SeriesInstanceUid,
    int Instances, string? Remote);

/// <summary>
/// The access audit trail a limited-access collection's data use agreement asks for: <c>DATA/audit/access-YYYY-MM-DD.jsonl</c>
/// (UTC days), one JSON line per event, written by a thread of its own (a retrieval never waits for the disk) and
/// flushed within a second. A viewer fetches a series frame by frame: the same caller's retrievals, from one address, of
/// the same study or series by the same door within ten minutes are one event (the first). Events queued when the process is killed are
/// lost (at most about a second's), as syslog audit messages over UDP can be.
/// </summary>
public sealed class AccessAudit : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);
    private readonly string _directory;
    private readonly Func<DateTimeOffset> _now;
    private readonly Channel<AccessEvent> _queue = Channel.CreateBounded<AccessEvent>(new BoundedChannelOptions(65536) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ConcurrentDictionary<(string, string, string, string, string?, string?), DateTimeOffset> _recent = new();
    private readonly Task _writer;
    private long _dropped;

    public AccessAudit(string dataDirectory, Func<DateTimeOffset>? now = null)
    {
        _directory = Path.Combine(dataDirectory, "audit");
        _now = now ?? (() => DateTimeOffset.UtcNow);
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Events the queue had no room for (a disk that stopped): said in the log by whoever reports.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Records a retrieval, unless the same caller, from the same address, retrieved the same study or series by the same door within <see cref="Window"/>.</summary>
    public void Record(string who, string door, string action, string collection, string study, string? series, int instances, string? remote = null)
    {
        var now = _now();
        // The address too: two anonymous callers are two people.
        var key = (who, door, action, study, series, remote);
        if (_recent.TryGetValue(key, out var last) && now - last < Window) return;
        _recent[key] = now;
        if (_recent.Count > 100_000) Forget(now);
        if (!_queue.Writer.TryWrite(new AccessEvent(now, who, door, action, collection, study, series, instances, remote))) Interlocked.Increment(ref _dropped);
    }

    private void Forget(DateTimeOffset now)
    {
        foreach (var (key, at) in _recent)
            if (now - at >= Window) _recent.TryRemove(key, out _);
    }

    private async Task WriteAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Set before the queue is emptied, so that FlushAsync never sees neither queued nor pending events.
            _pendingBatch = true;
            // One open, write and flush per batch of what is queued, the file of each event's day.
            var batch = new List<AccessEvent>();
            while (batch.Count < 4096 && reader.TryRead(out var e)) batch.Add(e);
            foreach (var day in batch.GroupBy(e => e.At.UtcDateTime.Date))
            {
                try
                {
                    Directory.CreateDirectory(_directory);
                    await using var stream = new FileStream(PathOf(DateOnly.FromDateTime(day.Key)), FileMode.Append, FileAccess.Write, FileShare.Read);
                    var text = new StringBuilder();
                    foreach (var e in day) text.Append(JsonSerializer.Serialize(e, Json)).Append('\n');
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(text.ToString())).ConfigureAwait(false);
                    stream.Flush(flushToDisk: true);
                }
                catch (IOException)
                {
                    Interlocked.Add(ref _dropped, day.Count());
                }
            }
            _pendingBatch = false;
            // At most one write a second: a burst of retrievals costs one sync.
            await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
    }

    private string PathOf(DateOnly day) => Path.Combine(_directory, $"access-{day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.jsonl");

    /// <summary>
    /// The events of the days <paramref name="from"/> to <paramref name="to"/> (UTC) that <paramref name="keep"/> keeps,
    /// oldest first, at most <paramref name="limit"/>; read line by line. Call <see cref="FlushAsync"/> first to see the
    /// latest.
    /// </summary>
    public IReadOnlyList<AccessEvent> Read(DateOnly from, DateOnly to, Func<AccessEvent, bool> keep, int limit)
    {
        var found = new List<AccessEvent>();
        for (var day = from; day <= to && found.Count < limit; day = day.AddDays(1))
        {
            var path = PathOf(day);
            if (!File.Exists(path)) continue;
            using var lines = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            while (found.Count < limit && lines.ReadLine() is { } line)
            {
                AccessEvent? e;
                try { e = JsonSerializer.Deserialize<AccessEvent>(line, Json); }
                catch (JsonException) { continue; } // a line cut short by a crash
                if (e != null && keep(e)) found.Add(e);
            }
        }
        return found;
    }

    /// <summary>Waits until what was recorded before the call is written.</summary>
    public async Task FlushAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((_queue.Reader.Count > 0 || _pendingBatch) && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20).ConfigureAwait(false);
    }

    private volatile bool _pendingBatch;

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }
}
