using System.Text.Json.Nodes;
using TciaPacs.Testing;

namespace TciaPacs.Dicom.Codecs.Tests;

/// <summary>The pixels pydicom decodes (Debian's python3-pydicom with numpy), fetched for many files in one python process.</summary>
internal static class PydicomPixels
{
    private static string Script => Path.Combine(AppContext.BaseDirectory, "tools", "pydicom_pixels.py");

    /// <summary>Path → decoded native bytes (in the file's Planar Configuration), or the error pydicom raised.</summary>
    public static Dictionary<string, (byte[]? Pixels, string? Error)> Decode(IEnumerable<string> paths, string outputDirectory)
    {
        var list = paths.ToList();
        var result = ExternalTool.Run(ExternalTool.Python, [Script, outputDirectory], TimeSpan.FromMinutes(10), string.Join('\n', list) + "\n");
        if (result.ExitCode == 3)
            throw new InvalidOperationException("numpy is missing for Debian's python3, which pydicom needs to decode pixel data: apt-get install -y python3-numpy");
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"pydicom_pixels.py failed ({result.ExitCode}): {result.StdErr.Split('\n').LastOrDefault(l => l.Length > 0)}. Is python3-pydicom installed (apt-get install -y python3-pydicom python3-numpy)?");
        var json = JsonNode.Parse(result.StdOut)!.AsObject();
        return json.ToDictionary(kv => kv.Key, kv =>
        {
            var o = kv.Value!.AsObject();
            return o["error"] is { } e ? ((byte[]?)null, (string?)e.ToString()) : (File.ReadAllBytes((string)o["file"]!), null);
        });
    }
}
