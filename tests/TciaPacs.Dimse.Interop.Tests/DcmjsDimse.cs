using System.Text.Json;
using System.Text.Json.Nodes;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// dcmjs-dimse (npm), a DIMSE implementation independent of dcmtk, driven through conformance/dimse/dcmjs-dimse.mjs:
/// one operation a run, its responses and received instances as JSON.
/// </summary>
internal static class DcmjsDimse
{
    public static string Script
    {
        get
        {
            var folder = Path.Combine(Corpus.RepositoryRoot, "conformance", "dimse");
            if (!Directory.Exists(Path.Combine(folder, "node_modules", "dcmjs-dimse")))
                throw new InvalidOperationException($"the npm packages of {folder} are not installed: run 'npm ci' there (.ci/run does)");
            return Path.Combine(folder, "dcmjs-dimse.mjs");
        }
    }

    /// <summary>Runs one operation (the script's JSON argument) and returns its report; a run that printed none fails.</summary>
    public static JsonObject Run(object operation)
    {
        ExternalTool.Require("node");
        var run = ExternalTool.Run("node", [Script, JsonSerializer.Serialize(operation)], TimeSpan.FromMinutes(3));
        if (run.ExitCode != 0 || !run.StdOut.TrimStart().StartsWith('{'))
            throw new InvalidOperationException($"dcmjs-dimse.mjs failed ({run.ExitCode}): {run.StdOut}{run.StdErr}");
        return JsonNode.Parse(run.StdOut)!.AsObject();
    }

    /// <summary>The final response (the last one) of a report.</summary>
    public static JsonObject Final(JsonObject report)
    {
        var responses = report["responses"]!.AsArray();
        if (responses.Count == 0) throw new InvalidOperationException("no response: " + report.ToJsonString());
        return responses[^1]!.AsObject();
    }

    public static int Status(JsonObject report) => (int)Final(report)["status"]!;
}
