using BenchmarkDotNet.Running;

namespace TciaPacs.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project tests/TciaPacs.Benchmarks -- --filter '*' --job short</c>
/// (scripts/bench.sh does this). Any BenchmarkDotNet command-line option works.
/// </summary>
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
