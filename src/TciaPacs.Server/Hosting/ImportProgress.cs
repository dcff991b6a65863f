using System.Diagnostics;
using System.Globalization;

namespace TciaPacs.Server.Hosting;

/// <summary>
/// The import progress line on stderr: files (or <paramref name="unit"/>) done of total, per second, MB/s and the time
/// left at the current rate. On a terminal it redraws one line; redirected, it writes a line every few seconds.
/// </summary>
internal sealed class ImportProgress(int total, TextWriter output, bool redraw, string unit = "files")
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -10_000;
    private int _done;
    private long _bytes;

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Add(long bytes)
    {
        Interlocked.Increment(ref _done);
        Interlocked.Add(ref _bytes, bytes);
        var now = _clock.ElapsedMilliseconds;
        var last = Interlocked.Read(ref _lastDraw);
        if (now - last < (redraw ? 250 : 2000) || Interlocked.CompareExchange(ref _lastDraw, now, last) != last) return;
        Draw(false);
    }

    public void Finish() => Draw(true);

    private void Draw(bool final)
    {
        var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 0.001);
        var done = Volatile.Read(ref _done);
        var rate = done / seconds;
        var mb = Interlocked.Read(ref _bytes) / seconds / (1024 * 1024);
        var eta = rate > 0 ? TimeSpan.FromSeconds((total - done) / rate) : TimeSpan.Zero;
        var line = string.Format(CultureInfo.InvariantCulture, "{0}/{1} {5}  {2:F1} {5}/s  {3:F1} MB/s  ETA {4:hh\\:mm\\:ss}", done, total, rate, mb, eta, unit);
        lock (output)
        {
            if (redraw) output.Write("\r" + line.PadRight(72) + (final ? Environment.NewLine : ""));
            else output.WriteLine(line);
            output.Flush();
        }
    }
}
