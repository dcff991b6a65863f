using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Debian's Orthanc as a DICOM peer, on free ports, its storage and index in <c>folder</c>. Its REST API drives it as a
/// client (C-ECHO, C-STORE, C-FIND and C-MOVE against modality "tcia", our server) and shows what it holds. Orthanc is
/// built on dcmtk's network code but has its own proposals, identifiers and retrieve logic.
/// </summary>
internal sealed class OrthancPeer : IDisposable
{
    public const string AeTitle = "ORTHANC";

    private readonly DcmtkScp _process;

    /// <param name="modalities">Orthanc's <c>DicomModalities</c>: name to [AE, host, port].</param>
    public OrthancPeer(string folder, IReadOnlyDictionary<string, (string Ae, int Port)> modalities, int? dicomPort = null)
    {
        DicomPort = dicomPort ?? ServerProcess.FreePort();
        var httpPort = ServerProcess.FreePort();
        Directory.CreateDirectory(folder);
        var config = Path.Combine(folder, "orthanc.json");
        var known = new JsonObject();
        foreach (var (name, (ae, port)) in modalities) known[name] = new JsonArray(ae, "127.0.0.1", port);
        File.WriteAllText(config, new JsonObject
        {
            ["Name"] = "tciapacs-interop", ["StorageDirectory"] = folder, ["IndexDirectory"] = folder, ["DicomAet"] = AeTitle,
            ["DicomPort"] = DicomPort, ["HttpPort"] = httpPort, ["RemoteAccessAllowed"] = false, ["AuthenticationEnabled"] = false,
            ["DicomModalities"] = known,
        }.ToJsonString());
        _process = new DcmtkScp("Orthanc", [config], DicomPort);
        Http = new HttpClient { BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{httpPort}")), Timeout = TimeSpan.FromMinutes(3) };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (Http.GetAsync("/system").GetAwaiter().GetResult().IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new InvalidOperationException("Orthanc's REST API did not come up");
            Thread.Sleep(100);
        }
    }

    /// <summary>Orthanc with our server as modality "tcia".</summary>
    public static OrthancPeer For(ServerProcess server, string folderName = "orthanc") =>
        new(Path.Combine(server.Folder, folderName), new Dictionary<string, (string, int)> { ["tcia"] = (server.Ae, server.Port) });

    public HttpClient Http { get; }
    public int DicomPort { get; }
    public string PortText => DicomPort.ToString(CultureInfo.InvariantCulture);

    /// <summary>Uploads a Part 10 file by REST; Orthanc's instance ID, or null when Orthanc refuses the file.</summary>
    public async Task<string?> UploadAsync(string path)
    {
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(path));
        using var response = await Http.PostAsync("/instances", content);
        if (!response.IsSuccessStatusCode) return null;
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["ID"]!.GetValue<string>();
    }

    /// <summary>POSTs <paramref name="body"/> and returns the JSON answer; a failure status fails with Orthanc's message.</summary>
    public async Task<JsonNode> PostAsync(string path, JsonNode body)
    {
        using var response = await Http.PostAsync(path, new StringContent(body.ToJsonString()));
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"Orthanc {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public async Task<JsonNode> GetAsync(string path) => (await Http.GetFromJsonAsync<JsonNode>(path))!;

    /// <summary>
    /// Orthanc's C-FIND against modality "tcia" (<c>POST /modalities/tcia/query</c>): the query's ID and its answers,
    /// each flattened to keyword → value (Orthanc's <c>simplify</c>).
    /// </summary>
    public async Task<(string Id, List<JsonObject> Answers)> FindAsync(string level, JsonObject query, bool normalize = true)
    {
        var started = await PostAsync("/modalities/tcia/query", new JsonObject { ["Level"] = level, ["Query"] = query, ["Normalize"] = normalize });
        var id = started["ID"]!.GetValue<string>();
        var answers = (await GetAsync($"/queries/{id}/answers?expand&simplify")).AsArray().Select(a => a!.AsObject()).ToList();
        return (id, answers);
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

    public void Dispose()
    {
        Http.Dispose();
        _process.Dispose();
    }
}
