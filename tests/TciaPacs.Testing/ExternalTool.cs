using System.Diagnostics;

namespace TciaPacs.Testing;

/// <summary>Runs an external program (dcmtk, dicom3tools, Debian's python3 with pydicom). A missing tool fails the test: CI installs them all.</summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static string Require(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin"))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        throw new InvalidOperationException($"'{name}' is not installed. Run 'bash .ci/run' once, or: apt-get install -y dcmtk dicom3tools python3-pydicom libgdcm-tools libopenjp2-tools openjph-tools libjxl-tools orthanc orthanc-dicomweb ctn odil libpixelmed-java default-jdk-headless");
    }

    /// <summary>Debian's python3, which has python3-pydicom (a pyenv python on PATH may not).</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : Require("python3");

    public static Result Run(string program, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin != null,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in time");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
