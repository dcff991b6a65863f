using TciaPacs.Testing;

namespace TciaPacs.Server.Tests;

/// <summary>Runs the real <c>tciapacs</c> executable (built next to this test assembly) as a separate process.</summary>
internal static class Tciapacs
{
    public static ExternalTool.Result Run(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "tciapacs.dll");
        return ExternalTool.Run("dotnet", [dll, .. args], TimeSpan.FromMinutes(3));
    }

    /// <summary>Runs it as <see cref="Run"/> does, and the process's peak resident memory (VmHWM, read from /proc while it runs).</summary>
    public static (ExternalTool.Result Result, long PeakBytes) RunMeasured(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tciapacs.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        long peak = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!p.WaitForExit(20))
        {
            try
            {
                var line = File.ReadLines($"/proc/{p.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                if (line != null) peak = Math.Max(peak, long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024);
            }
            catch (IOException) { } // it has just exited
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"tciapacs {string.Join(' ', args)} did not finish in time");
            }
        }
        return (new ExternalTool.Result(p.ExitCode, stdout.Result, stderr.Result), peak);
    }
}
