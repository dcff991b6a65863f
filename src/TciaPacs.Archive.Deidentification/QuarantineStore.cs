using System.Text.Json;

namespace TciaPacs.Archive.Deidentification;

/// <summary>One instance held in DATA/quarantine: not in the catalog, so no query or retrieve sees it.</summary>
public sealed record QuarantinedInstance(string Id, string FilePath, string Collection, DateTimeOffset? Time, string Reason)
{
    /// <summary>The reason split into its findings ("PATH RULE SEVERITY: description"), or the reason itself.</summary>
    public IReadOnlyList<string> Findings
    {
        get
        {
            var text = Reason;
            var colon = text.IndexOf("PHI finding(s): ", StringComparison.Ordinal);
            if (colon < 0) return [text];
            return text[(colon + "PHI finding(s): ".Length)..].Split(PhiScanFilter.FindingSeparator, StringSplitOptions.RemoveEmptyEntries);
        }
    }
}

/// <summary>Lists, reads and deletes what the store pipeline put in DATA/quarantine (NAME.dcm, NAME.dcm.reason.txt, NAME.dcm.json).</summary>
public sealed class QuarantineStore(string dataDirectory)
{
    public string Root { get; } = Path.Combine(Path.GetFullPath(dataDirectory), "quarantine");

    public IReadOnlyList<QuarantinedInstance> List()
    {
        if (!Directory.Exists(Root)) return [];
        return Directory.EnumerateFiles(Root, "*.dcm").Order(StringComparer.Ordinal)
            .Select(f => Read(Path.GetFileNameWithoutExtension(f))!).ToList();
    }

    public QuarantinedInstance? Find(string id)
    {
        if (id.Length == 0 || id.IndexOfAny(['/', '\\', '.']) >= 0) return null;
        return File.Exists(Path.Combine(Root, id + ".dcm")) ? Read(id) : null;
    }

    private QuarantinedInstance? Read(string id)
    {
        var file = Path.Combine(Root, id + ".dcm");
        string collection = Storing.StoreRequest.DefaultCollection, reason = "";
        DateTimeOffset? time = null;
        if (File.Exists(file + ".json"))
        {
            var note = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file + ".json")) ?? [];
            collection = note.GetValueOrDefault("collection", collection);
            reason = note.GetValueOrDefault("reason", "");
            if (note.TryGetValue("time", out var t) && DateTimeOffset.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var parsed)) time = parsed;
        }
        else if (File.Exists(file + ".reason.txt"))
        {
            reason = File.ReadAllText(file + ".reason.txt").Trim();
            time = File.GetLastWriteTimeUtc(file);
        }
        return new QuarantinedInstance(id, file, collection, time, reason);
    }

    public bool Delete(string id)
    {
        if (Find(id) is not { } q) return false;
        foreach (var f in new[] { q.FilePath, q.FilePath + ".json", q.FilePath + ".reason.txt" })
            if (File.Exists(f)) File.Delete(f);
        return true;
    }
}
