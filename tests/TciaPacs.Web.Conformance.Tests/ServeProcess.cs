using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TciaPacs.Testing;

namespace TciaPacs.Web.Conformance.Tests;

/// <summary>The real <c>tciapacs serve</c>, started on free loopback ports with an empty data folder, stopped with SIGTERM.</summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private ServeProcess(Process process, string data, int port)
    {
        _process = process;
        DataDirectory = data;
        Port = port;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public string DataDirectory { get; }
    public int Port { get; }
    public string Base => $"http://127.0.0.1:{Port}/dicom-web";
    public string Root => $"http://127.0.0.1:{Port}";

    public static int FreePort() => LoopbackPort.Free();

    /// <param name="httpSettings">More settings of the <c>Http</c> section, as JSON members (e.g. <c>"Users": [...]</c>).</param>
    public static ServeProcess Start(string? httpSettings = null)
    {
        var data = Path.Combine(Path.GetTempPath(), "tciapacs-conformance-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(data);
        var config = Path.Combine(data, "conformance.json");
        // Transport is what this suite checks (what STOW stored is what WADO returns), so collections store as sent;
        // de-identification at the doors has its own tests (TciaPacs.Archive.Deidentification.Tests, Server.Tests).
        File.WriteAllText(config, """
            { "Http": { "Host": "127.0.0.1", "MaxQueryResults": 1000 HTTP }, "Logging": { "MinimumLevel": "Warning" },
              "Deidentification": { "Default": { "Profile": "None" } } }
            """.Replace(" HTTP ", httpSettings is null ? " " : ", " + httpSettings + " ", StringComparison.Ordinal));
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "tciapacs.dll"), "serve", "--config", config, "--data", data,
                     "--http-port", port.ToString(CultureInfo.InvariantCulture), "--dicom-port", FreePort().ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        var serve = new ServeProcess(Process.Start(psi)!, data, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (serve._process.HasExited) throw new InvalidOperationException($"tciapacs serve exited with {serve._process.ExitCode}: {serve._stderr.Result}");
            try
            {
                if (http.GetAsync(serve.Base).GetAwaiter().GetResult().IsSuccessStatusCode) return serve;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            Thread.Sleep(200);
        }
        serve.Dispose();
        throw new TimeoutException("tciapacs serve did not answer on its DICOMweb port within 90 s");
    }

    /// <summary>Stops the server (SIGTERM, as an operator would) and returns its exit code and output.</summary>
    public (int ExitCode, string Output) Stop()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30))) _process.Kill(true);
        }
        _process.WaitForExit();
        return (_process.ExitCode, _stdout.Result + _stderr.Result);
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The folder conformance/dicomweb, with its npm packages installed (npm ci): a missing one fails, never skips.</summary>
    public static string ScriptFolder()
    {
        var folder = Path.Combine(Corpus.RepositoryRoot, "conformance", "dicomweb");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "dicomweb-client")) || !Directory.Exists(Path.Combine(folder, "node_modules", "xhr2")))
            throw new InvalidOperationException($"the npm packages of {folder} are not installed: run 'npm ci' there (.ci/run does)");
        return folder;
    }
}
