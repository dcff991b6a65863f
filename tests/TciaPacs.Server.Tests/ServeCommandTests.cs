using System.Diagnostics;
using NUnit.Framework;

namespace TciaPacs.Server.Tests;

public sealed class ServeCommandTests
{
    [Test]
    public void Serve_logs_its_configuration_and_stops_cleanly_on_sigterm()
    {
        var data = ArchiveTestData.TempFolder("serve-data");
        try
        {
            var config = Path.Combine(data, "test-config.json");
            File.WriteAllText(config, """
                {
                  // comments are allowed
                  "Dimse": { "AeTitle": "CFGAE", "Port": 11999 },
                  "Http": { "Port": 9999 },
                }
                """);
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "tciapacs.dll"), "serve", "--config", config, "--data", data, "--http-port", "8181" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            using var reaper = KillIfRunning(p);
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            // The console may be block-buffered when redirected; the log file is written event by event.
            var logFolder = Path.Combine(data, "logs");
            string Log() => Directory.Exists(logFolder) ? string.Concat(Directory.GetFiles(logFolder, "*.log").Select(f =>
            {
                using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return new StreamReader(s).ReadToEnd();
            })) : "";
            var clock = Stopwatch.StartNew();
            while (!Log().Contains("Ready", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(60) && !p.HasExited) Thread.Sleep(200);
            Assert.That(Log(), Does.Contain("Ready"), stderr.IsCompleted ? stderr.Result : "");
            Assert.That(Log(), Does.Contain($"process id {p.Id}"));
            // tciapacs.runtimeconfig.json caps the GC's gen0 budget (its default follows the CPU's cache size).
            Assert.That(Log(), Does.Contain("GC gen0 budget at most 33554432 bytes"));
            var second = Tciapacs.Run("import", config, "--data", data);
            Assert.That(second.ExitCode, Is.EqualTo(2), "one process per data folder");
            Assert.That(second.StdErr, Does.Contain("in use by another process"));
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.That(p.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, "stops within 30 s of SIGTERM");
            Assert.That(p.ExitCode, Is.Zero, stdout.Result + stderr.Result);
            var all = stdout.Result + stderr.Result;
            // The file's AE title and DIMSE port, the flag's HTTP port over the file's, both services really listening.
            Assert.That(all, Does.Contain("DIMSE listening as AE CFGAE on port 11999").And.Contain("DICOMweb listening on http://").And.Contain(":8181"));
            Assert.That(all, Does.Not.Contain("accept failed"), "a stop is not a listener failure");
            Assert.That(all, Does.Contain("Stopped cleanly"));
            var logs = Directory.GetFiles(Path.Combine(data, "logs"), "tciapacs-*.log");
            Assert.That(logs, Has.Length.EqualTo(1));
            Assert.That(File.ReadAllText(logs[0]), Does.Contain("Stopped cleanly"));
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }

    [Test]
    public void An_operators_DOTNET_GCGen0MaxBudget_wins_over_the_shipped_gen0_budget()
    {
        var data = ArchiveTestData.TempFolder("serve-gen0");
        try
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "tciapacs.dll"), "serve", "--data", data, "--dicom-port", $"{ArchiveTestData.FreePort()}", "--http-port", $"{ArchiveTestData.FreePort()}" }) psi.ArgumentList.Add(a);
            psi.Environment["DOTNET_GCGen0MaxBudget"] = "0x1000000";
            using var p = Process.Start(psi)!;
            using var reaper = KillIfRunning(p);
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            var logFolder = Path.Combine(data, "logs");
            string Log() => Directory.Exists(logFolder) ? string.Concat(Directory.GetFiles(logFolder, "*.log").Select(f =>
            {
                using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return new StreamReader(s).ReadToEnd();
            })) : "";
            var clock = Stopwatch.StartNew();
            while (!Log().Contains("Ready", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(60) && !p.HasExited) Thread.Sleep(200);
            Assert.That(Log(), Does.Contain("GC gen0 budget at most 16777216 bytes"), stderr.IsCompleted ? stderr.Result : Log());
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.That(p.WaitForExit(TimeSpan.FromSeconds(30)), Is.True);
            Assert.That(p.ExitCode, Is.Zero, stdout.Result + stderr.Result);
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }

    // A failed assertion must not leave a server holding its ports for the tests after it.
    private static IDisposable KillIfRunning(Process p) => new Reaper(p);

    private sealed class Reaper(Process p) : IDisposable
    {
        public void Dispose()
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    [Test]
    public void Serve_refuses_a_missing_config_file()
    {
        var r = Tciapacs.Run("serve", "--config", "/nonexistent/tciapacs.json", "--data", Path.GetTempPath());
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr, Does.Contain("does not exist"));
    }
}
