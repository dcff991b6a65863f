using System.Diagnostics;

namespace TciaPacs.Dicom.Diagnostics;

/// <summary>
/// Time stamps of named points on a hot path, for finding where one operation's time goes (scripts/stage-trace.sh):
/// each <see cref="Mark"/> records a stage, the time and a key (a SOP Instance UID) into a fixed array, written as text
/// to <c>TCIAPACS_STAGE_TRACE</c> (a file path) when the process exits.
/// </summary>
/// <remarks>
/// Compiled out unless the build defines <c>STAGE_TRACE</c> (<c>-p:StageTrace=true</c>): <see cref="Mark"/> is a
/// <see cref="ConditionalAttribute"/> method, so a normal build has neither the calls nor their arguments' cost.
/// </remarks>
public static class StageTrace
{
    // The stages, in the order a C-STORE passes them (scripts/stage-trace.py names them the same way).
    public const int CommandDecoded = 0, DataSetComplete = 1, HandlerStarted = 2, Parsed = 3, Filtered = 4, Staged = 5,
        DuplicateChecked = 6, Published = 7, SyncStarted = 20, SyncEnded = 8, StatementsRun = 9, CommitStarted = 21,
        Committed = 10, Resumed = 11, PipelineReturned = 12, ResponseSent = 13;

    private static readonly string? Output = Environment.GetEnvironmentVariable("TCIAPACS_STAGE_TRACE");
    private static readonly (int Stage, long Ticks, int Thread, int Key)[] Marks = new (int, long, int, int)[Output == null ? 0 : 1_000_000];
    private static int _count;

    static StageTrace()
    {
        if (Output != null) AppDomain.CurrentDomain.ProcessExit += (_, _) => Write();
    }

    /// <summary>Records <paramref name="stage"/> now, for <paramref name="key"/> (null: a stage of no one operation, such as a shared sync).</summary>
    [Conditional("STAGE_TRACE")]
    public static void Mark(int stage, string? key = null)
    {
        if (Output == null) return;
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < Marks.Length) Marks[i] = (stage, Stopwatch.GetTimestamp(), Environment.CurrentManagedThreadId, key == null ? 0 : StringComparer.Ordinal.GetHashCode(key));
    }

    private static void Write()
    {
        using var w = new StreamWriter(Output!);
        w.WriteLine($"# stage ticks thread key; {Stopwatch.Frequency} ticks per second");
        for (var i = 0; i < Math.Min(_count, Marks.Length); i++) w.WriteLine($"{Marks[i].Stage} {Marks[i].Ticks} {Marks[i].Thread} {Marks[i].Key}");
    }
}
