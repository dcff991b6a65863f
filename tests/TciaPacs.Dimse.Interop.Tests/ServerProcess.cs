using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>The real <c>tciapacs serve</c> process on free ports with its own data folder; stopped with SIGTERM.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    public ServerProcess(string? configJson = null, params string[] extraArgs)
    {
        Folder = TempFolder("srv");
        Data = Path.Combine(Folder, "data");
        Port = FreePort();
        HttpPort = FreePort();
        var args = new List<string> { Tciapacs.Dll, "serve", "--data", Data, "--dicom-port", Port.ToString(CultureInfo.InvariantCulture), "--http-port", HttpPort.ToString(CultureInfo.InvariantCulture) };
        // These tests check transport (what storescu sent comes back equal), so collections store as sent unless a
        // test's configuration says otherwise; de-identification at the doors has its own tests.
        var layered = JsonNode.Parse(configJson ?? "{}", documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        if (!layered.ContainsKey("Deidentification"))
            layered["Deidentification"] = JsonNode.Parse("""{ "Default": { "Profile": "None" } }""");
        var config = Path.Combine(Folder, "config.json");
        File.WriteAllText(config, layered.ToJsonString());
        args.AddRange(["--config", config]);
        args.AddRange(extraArgs);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!Log.Contains("Ready", StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60)) throw new InvalidOperationException("tciapacs serve did not start: " + Log);
            Thread.Sleep(100);
        }
    }

    public string Folder { get; }
    public string Data { get; }
    public int Port { get; }
    public int HttpPort { get; }
    public string Ae => "TCIAPACS";
    public string PortText => Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The log file (written event by event, unlike the redirected console).</summary>
    public string Log
    {
        get
        {
            var logs = Path.Combine(Data, "logs");
            if (!Directory.Exists(logs)) return "";
            return string.Concat(Directory.GetFiles(logs, "*.log").Select(f =>
            {
                using var s = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return new StreamReader(s).ReadToEnd();
            }));
        }
    }

    /// <summary>The archive's stored files (published, not quarantined), by SOP Instance UID.</summary>
    public Dictionary<string, string> StoredFiles()
    {
        var files = Path.Combine(Data, "files");
        if (!Directory.Exists(files)) return [];
        return Directory.EnumerateFiles(files, "*.dcm", SearchOption.AllDirectories).ToDictionary(
            f => Dicom.DicomFile.Open(f, Dicom.IO.DicomReadOptions.HeaderOnly).Dataset.GetString(Dicom.DicomTags.SOPInstanceUID)!.Trim('\0', ' '), StringComparer.Ordinal);
    }

    /// <summary>Waits until the log contains <paramref name="text"/> at least <paramref name="count"/> times.</summary>
    public bool WaitForLog(string text, int count = 1, int seconds = 20)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (Count(Log, text) >= count) return true;
            Thread.Sleep(100);
        }
        return false;
    }

    public static int Count(string haystack, string needle)
    {
        var n = 0;
        for (var i = haystack.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = haystack.IndexOf(needle, i + needle.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    public static int FreePort() => LoopbackPort.Free();

    public static string TempFolder(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tciapacs-dimse-{prefix}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Stops the server (SIGTERM, as a service manager would) and keeps its data folder for a look.</summary>
    public void Stop()
    {
        if (_stopped) return;
        _stopped = true;
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30))) _process.Kill(entireProcessTree: true);
        }
    }

    private bool _stopped;

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        try { Directory.Delete(Folder, true); } catch (IOException) { }
    }
}

/// <summary>Runs the real <c>tciapacs</c> executable and dcmtk tools.</summary>
internal static class Tciapacs
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "tciapacs.dll");

    public static ExternalTool.Result Run(params string[] args) => ExternalTool.Run("dotnet", [Dll, .. args], TimeSpan.FromMinutes(3));

    /// <summary>A passcode's hash for a Users entry, as <c>tciapacs hash-password</c> prints it.</summary>
    public static string HashPassword(string passcode)
    {
        var r = ExternalTool.Run("dotnet", [Dll, "hash-password"], TimeSpan.FromMinutes(1), stdin: passcode + "\n");
        NUnit.Framework.Assert.That(r.ExitCode, NUnit.Framework.Is.Zero, r.StdOut + r.StdErr);
        return r.StdOut.Trim();
    }

    public static ExternalTool.Result Dcmtk(string tool, params string[] args) => ExternalTool.Run(ExternalTool.Require(tool), args, TimeSpan.FromMinutes(3));
}

/// <summary>A background DICOM SCP (dcmtk's storescp, dcmqrscp; Orthanc) on a free port, killed on dispose.</summary>
internal sealed class DcmtkScp : IDisposable
{
    private readonly Process _process;

    /// <param name="probe">
    /// Whether readiness is a connection accepted (false: the port seen listening in /proc/net/tcp, for CTN's
    /// simple_storage, which stops listening after a connection closed without an association).
    /// </param>
    public DcmtkScp(string tool, IEnumerable<string> args, int port, bool probe = true)
    {
        Port = port;
        var psi = new ProcessStartInfo(ExternalTool.Require(tool)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (!probe)
            {
                if (IsListening(port)) return;
                if (_process.HasExited) throw new InvalidOperationException($"{tool} exited with {_process.ExitCode}");
                Thread.Sleep(100);
                continue;
            }
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                if (_process.HasExited) throw new InvalidOperationException($"{tool} exited with {_process.ExitCode}");
                Thread.Sleep(100);
            }
        }
        throw new InvalidOperationException($"{tool} did not listen on {port}");
    }

    public int Port { get; }
    public string PortText => Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether a socket listens on <paramref name="port"/> (state 0A in /proc/net/tcp or tcp6).</summary>
    private static bool IsListening(int port)
    {
        var hex = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        return new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists).SelectMany(File.ReadLines).Skip(0)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(f => f.Length > 3 && f[1].EndsWith(hex, StringComparison.Ordinal) && f[3] == "0A");
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(5000);
        _process.Dispose();
    }
}
