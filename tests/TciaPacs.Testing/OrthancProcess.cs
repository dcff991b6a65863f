using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace TciaPacs.Testing;

/// <summary>
/// Debian's Orthanc on free loopback ports, its storage and index in a folder of the test's, driven through its REST
/// API (<see cref="Http"/>); killed on dispose. The DIMSE tests use it as a peer, the DICOMweb tests as a client.
/// </summary>
public sealed class OrthancProcess : IDisposable
{
    public const string AeTitle = "ORTHANC";

    private readonly Process _process;

    /// <param name="settings">Configuration beside the ports, folders and AE title (DicomModalities, Plugins, DicomWeb...).</param>
    public OrthancProcess(string folder, JsonObject settings, int? dicomPort = null)
    {
        DicomPort = dicomPort ?? FreePort();
        var httpPort = FreePort();
        Directory.CreateDirectory(folder);
        var config = new JsonObject
        {
            ["Name"] = "tciapacs-interop", ["StorageDirectory"] = folder, ["IndexDirectory"] = folder, ["DicomAet"] = AeTitle,
            ["DicomPort"] = DicomPort, ["HttpPort"] = httpPort, ["RemoteAccessAllowed"] = false, ["AuthenticationEnabled"] = false,
        };
        foreach (var (key, value) in settings) config[key] = value?.DeepClone();
        var path = Path.Combine(folder, "orthanc.json");
        File.WriteAllText(path, config.ToJsonString());
        var psi = new ProcessStartInfo(ExternalTool.Require("Orthanc")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(path);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient { BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{httpPort}")), Timeout = TimeSpan.FromMinutes(3) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (Http.GetAsync("/system").GetAwaiter().GetResult().IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                Dispose();
                throw new InvalidOperationException("Orthanc's REST API did not come up");
            }
            Thread.Sleep(100);
        }
    }

    public HttpClient Http { get; }
    public int DicomPort { get; }

    /// <summary>POSTs <paramref name="body"/> and returns Orthanc's JSON answer; a failure status throws with Orthanc's message.</summary>
    public async Task<JsonNode> PostAsync(string path, JsonNode body)
    {
        using var response = await Http.PostAsync(path, new StringContent(body.ToJsonString()));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"Orthanc {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public async Task<JsonNode> GetAsync(string path) => JsonNode.Parse(await Http.GetStringAsync(path))!;

    /// <summary>Uploads a Part 10 file by REST; Orthanc's instance ID, or null when Orthanc refuses the file.</summary>
    public async Task<string?> UploadAsync(string path)
    {
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(path));
        using var response = await Http.PostAsync("/instances", content);
        if (!response.IsSuccessStatusCode) return null;
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["ID"]!.GetValue<string>();
    }

    /// <summary>Every instance Orthanc holds: its SOP Instance UID to Orthanc's ID.</summary>
    public async Task<Dictionary<string, string>> InstancesAsync()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var i in (await GetAsync("/instances?expand")).AsArray())
            result[i!["MainDicomTags"]!["SOPInstanceUID"]!.GetValue<string>()] = i["ID"]!.GetValue<string>();
        return result;
    }

    /// <summary>Deletes everything Orthanc holds.</summary>
    public async Task ClearAsync()
    {
        foreach (var patient in (await GetAsync("/patients")).AsArray())
            (await Http.DeleteAsync($"/patients/{patient!.GetValue<string>()}")).EnsureSuccessStatusCode();
    }

    /// <summary>Orthanc's stored file of an instance, written to <paramref name="path"/>.</summary>
    public async Task DownloadAsync(string id, string path) => await File.WriteAllBytesAsync(path, await Http.GetByteArrayAsync($"/instances/{id}/file"));

    public static int FreePort() => LoopbackPort.Free();

    public void Dispose()
    {
        Http.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(5000);
        _process.Dispose();
    }
}
