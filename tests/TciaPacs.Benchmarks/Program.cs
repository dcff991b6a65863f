using BenchmarkDotNet.Running;

namespace TciaPacs.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project tests/TciaPacs.Benchmarks -- --filter '*' --job short</c>
/// (scripts/bench.sh does this). Any BenchmarkDotNet command-line option works.
/// <c>-- query-latency [N...] [--queries Q]</c> runs the archive query-latency measurement instead (see <see cref="QueryLatency"/>).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "query-latency") return QueryLatency.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
