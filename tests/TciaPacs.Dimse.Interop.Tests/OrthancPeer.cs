using System.Globalization;
using System.Text.Json.Nodes;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Debian's Orthanc as a DICOM peer (<see cref="OrthancProcess"/>), knowing our server and others as its modalities.
/// Its REST API drives it as a client (C-ECHO, C-STORE, C-FIND and C-MOVE against modality "tcia", our server).
/// Orthanc is built on dcmtk's network code but has its own proposals, identifiers and retrieve logic.
/// </summary>
internal sealed class OrthancPeer : IDisposable
{
    public const string AeTitle = OrthancProcess.AeTitle;

    private readonly OrthancProcess _orthanc;

    /// <param name="modalities">Orthanc's <c>DicomModalities</c>: name to [AE, host, port].</param>
    public OrthancPeer(string folder, IReadOnlyDictionary<string, (string Ae, int Port)> modalities, int? dicomPort = null)
    {
        var known = new JsonObject();
        foreach (var (name, (ae, port)) in modalities) known[name] = new JsonArray(ae, "127.0.0.1", port);
        _orthanc = new OrthancProcess(folder, new JsonObject { ["DicomModalities"] = known }, dicomPort);
    }

    /// <summary>Orthanc with our server as modality "tcia".</summary>
    public static OrthancPeer For(ServerProcess server, string folderName = "orthanc") =>
        new(Path.Combine(server.Folder, folderName), new Dictionary<string, (string, int)> { ["tcia"] = (server.Ae, server.Port) });

    public HttpClient Http => _orthanc.Http;
    public int DicomPort => _orthanc.DicomPort;
    public string PortText => DicomPort.ToString(CultureInfo.InvariantCulture);

    public Task<string?> UploadAsync(string path) => _orthanc.UploadAsync(path);
    public Task<JsonNode> PostAsync(string path, JsonNode body) => _orthanc.PostAsync(path, body);
    public Task<JsonNode> GetAsync(string path) => _orthanc.GetAsync(path);
    public Task<Dictionary<string, string>> InstancesAsync() => _orthanc.InstancesAsync();
    public Task ClearAsync() => _orthanc.ClearAsync();
    public Task DownloadAsync(string id, string path) => _orthanc.DownloadAsync(id, path);

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

    public void Dispose() => _orthanc.Dispose();
}
