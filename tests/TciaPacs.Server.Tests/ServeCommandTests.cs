using System.Diagnostics;
using System.Globalization;
using NUnit.Framework;
using TciaPacs.Testing;

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
            using var serve = new Serve(data, null, "--config", config, "--http-port", "8181");
            Assert.That(serve.WaitReady(), Is.True, serve.StdErrSoFar);
            Assert.That(serve.Log(), Does.Contain($"process id {serve.Process.Id}"));
            // tciapacs.runtimeconfig.json caps the GC's gen0 budget (its default follows the CPU's cache size).
            Assert.That(serve.Log(), Does.Contain("GC gen0 budget at most 33554432 bytes"));
            var second = Tciapacs.Run("import", config, "--data", data);
            Assert.That(second.ExitCode, Is.EqualTo(2), "one process per data folder");
            Assert.That(second.StdErr, Does.Contain("in use by another process"));
            var all = serve.StopWithSigterm();
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
            using var serve = new Serve(data, ("DOTNET_GCGen0MaxBudget", "0x1000000"),
                "--dicom-port", ArchiveTestData.FreePort().ToString(CultureInfo.InvariantCulture), "--http-port", ArchiveTestData.FreePort().ToString(CultureInfo.InvariantCulture));
            Assert.That(serve.WaitReady(), Is.True, serve.StdErrSoFar);
            Assert.That(serve.Log(), Does.Contain("GC gen0 budget at most 16777216 bytes"));
            serve.StopWithSigterm();
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }

    [Test]
    public void Serve_refuses_a_missing_config_file()
    {
        var r = Tciapacs.Run("serve", "--config", "/nonexistent/tciapacs.json", "--data", Path.GetTempPath());
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr, Does.Contain("does not exist"));
    }

    [TestCase("\"TlsClientCertificates\": \"/etc/ssl/certs/ca-certificates.crt\"", "Dimse.TlsClientCertificates needs Dimse.TlsCertificate")]
    [TestCase("\"TlsCheckRevocation\": true", "Dimse.TlsCheckRevocation checks client certificates: set Dimse.TlsClientCertificates")]
    [TestCase("\"RequireUserIdentity\": true", "Dimse.RequireUserIdentity needs Dimse.Users")]
    [TestCase("\"Users\": [ { \"Username\": \"alice\", \"Password\": \"plain-text\" } ]", "the Password of user 'alice' is not a passcode hash")]
    [TestCase("\"Users\": [ { \"Username\": \"alice\" }, { \"Username\": \"alice\" } ]", "user 'alice' is listed twice")]
    public void Serve_refuses_access_settings_that_cannot_work(string setting, string error) =>
        ServeRefuses("{ \"Dimse\": { \"Port\": 0, " + setting + " }, \"Http\": { \"Port\": 0 } }", error);

    /// <summary>serve, given <paramref name="json"/> as its configuration, stops at start with <paramref name="error"/>.</summary>
    private static void ServeRefuses(string json, string error)
    {
        var data = Path.Combine(Path.GetTempPath(), "tciapacs-refused-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        try
        {
            var config = Path.Combine(data, "tciapacs.json");
            File.WriteAllText(config, json);
            var r = Tciapacs.Run("serve", "--config", config, "--data", data);
            Assert.That(r.ExitCode, Is.Not.Zero);
            Assert.That(r.StdOut + r.StdErr, Does.Contain(error));
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }

    [TestCase("\"Users\": [ { \"Username\": \"bob\" } ]", "Http.Users: user 'bob' has no Password (make its hash with tciapacs hash-password)")]
    [TestCase("\"Users\": [ { \"Username\": \"bob\", \"Password\": \"plain\" } ]", "Http.Users: the Password of user 'bob' is not a passcode hash")]
    [TestCase("\"Users\": [ { \"Username\": \"\" } ]", "Http.Users: a user has no Username")]
    public void Serve_refuses_DICOMweb_users_that_cannot_sign_in(string setting, string error) =>
        ServeRefuses("{ \"Dimse\": { \"Port\": 0 }, \"Http\": { \"Port\": 0, " + setting + " } }", error);

    [TestCase("{ \"lung-intake\": \"lung-intake\" }", "Curation.IntakeCollections: intake collection 'lung-intake' publishes to itself; name the published collection.")]
    [TestCase("{ \"a\": \"b\", \"b\": \"c\" }", "Curation.IntakeCollections: intake collection 'a' publishes to 'b', which is an intake collection too.")]
    [TestCase("{ \" \": \"b\" }", "Curation.IntakeCollections: a collection name is empty.")]
    public void Serve_refuses_intake_collections_that_cannot_publish(string intake, string error) =>
        ServeRefuses("{ \"Dimse\": { \"Port\": 0 }, \"Http\": { \"Port\": 0 }, \"Curation\": { \"IntakeCollections\": " + intake + " } }", error);

    [Test]
    public void Hash_password_reads_standard_input_and_salts_each_hash()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "tciapacs.dll");
        var first = ExternalTool.Run("dotnet", [dll, "hash-password"], TimeSpan.FromMinutes(1), stdin: "s3cret pass\n");
        var second = ExternalTool.Run("dotnet", [dll, "hash-password"], TimeSpan.FromMinutes(1), stdin: "s3cret pass\n");
        Assert.That(first.ExitCode, Is.Zero, first.StdErr);
        Assert.That(first.StdOut.Trim(), Does.Match(@"^pbkdf2-sha256\$100000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$"));
        Assert.That(second.StdOut.Trim(), Is.Not.EqualTo(first.StdOut.Trim()), "a salt of its own each time");
        Assert.That(first.StdOut + first.StdErr, Does.Not.Contain("s3cret"), "the passcode is never printed");
        var empty = ExternalTool.Run("dotnet", [dll, "hash-password"], TimeSpan.FromMinutes(1), stdin: "");
        Assert.That(empty.ExitCode, Is.EqualTo(2));
        Assert.That(empty.StdErr, Does.Contain("no passcode on standard input"));
    }

    [Test]
    public void The_sample_configuration_starts_the_server()
    {
        // samples/tciapacs.json is the reference an administrator copies: it must load as it is.
        var data = Path.Combine(Path.GetTempPath(), "tciapacs-sample-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        try
        {
            var sample = Path.Combine(TciaPacs.Testing.Corpus.RepositoryRoot, "samples", "tciapacs.json");
            using var serve = new Serve(data, null, "--config", sample, "--dicom-port", ArchiveTestData.FreePort().ToString(CultureInfo.InvariantCulture),
                "--http-port", ArchiveTestData.FreePort().ToString(CultureInfo.InvariantCulture));
            Assert.That(serve.WaitReady(), Is.True, serve.StdErrSoFar);
            Assert.That(serve.StopWithSigterm(), Does.Contain("DIMSE listening as AE TCIAPACS").And.Contain("Stopped cleanly"));
        }
        finally
        {
            Directory.Delete(data, true);
        }
    }

    /// <summary>A real <c>tciapacs serve</c> on <paramref name="data"/>; killed on dispose if still running, so that a failed assertion leaves no server holding its ports.</summary>
    private sealed class Serve : IDisposable
    {
        private readonly string _logFolder;
        private readonly Task<string> _stdout;
        private readonly Task<string> _stderr;

        public Serve(string data, (string Name, string Value)? environment, params string[] args)
        {
            _logFolder = Path.Combine(data, "logs");
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "tciapacs.dll"), "serve", "--data", data }.Concat(args)) psi.ArgumentList.Add(a);
            if (environment is { } e) psi.Environment[e.Name] = e.Value;
            Process = Process.Start(psi)!;
            _stdout = Process.StandardOutput.ReadToEndAsync();
            _stderr = Process.StandardError.ReadToEndAsync();
        }

        public Process Process { get; }

        public string StdErrSoFar => _stderr.IsCompleted ? _stderr.Result : Log();

        /// <summary>The log file: the console may be block-buffered when redirected; the file is written event by event.</summary>
        public string Log() => Directory.Exists(_logFolder) ? string.Concat(Directory.GetFiles(_logFolder, "*.log").Select(f =>
        {
            using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(s).ReadToEnd();
        })) : "";

        public bool WaitReady()
        {
            var clock = Stopwatch.StartNew();
            while (!Log().Contains("Ready", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(60) && !Process.HasExited) Thread.Sleep(200);
            return Log().Contains("Ready", StringComparison.Ordinal);
        }

        /// <summary>Sends SIGTERM, expects a clean exit within 30 s; all the console output.</summary>
        public string StopWithSigterm()
        {
            using (var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            Assert.That(Process.WaitForExit(TimeSpan.FromSeconds(30)), Is.True, "stops within 30 s of SIGTERM");
            var all = _stdout.Result + _stderr.Result;
            Assert.That(Process.ExitCode, Is.Zero, all);
            return all;
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }
}
