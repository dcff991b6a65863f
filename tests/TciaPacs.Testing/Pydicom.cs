using System.Text.Json.Nodes;

namespace TciaPacs.Testing;

/// <summary>What pydicom (Debian's python3-pydicom) reads from files, fetched in one python process per batch.</summary>
public static class Pydicom
{
    public static string Script => Path.Combine(AppContext.BaseDirectory, "tools", "pydicom_tree.py");

    public static Dictionary<string, JsonObject> ReadTrees(IEnumerable<string> paths)
    {
        var list = paths.ToList();
        var result = ExternalTool.Run(ExternalTool.Python, [Script], TimeSpan.FromMinutes(10), string.Join('\n', list) + "\n");
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"pydicom_tree.py failed ({result.ExitCode}): {result.StdErr.Split('\n').LastOrDefault(l => l.Length > 0)}. Is python3-pydicom installed (apt-get install -y python3-pydicom)?");
        var json = JsonNode.Parse(result.StdOut)!.AsObject();
        return json.ToDictionary(kv => kv.Key, kv => kv.Value!.AsObject());
    }
}
