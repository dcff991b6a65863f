using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace TciaPacs.Server.Hosting;

/// <summary>Layers JSON configuration files (comments and trailing commas allowed) over the built-in defaults.</summary>
internal static class ConfigurationLoader
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Defaults, then the optional appsettings.json files, then <paramref name="configFile"/> (which must exist when given).</summary>
    public static ServerOptions Load(string? configFile)
    {
        var merged = JsonSerializer.SerializeToNode(new ServerOptions(), Json)!.AsObject();
        foreach (var optional in new[] { Path.Combine(AppContext.BaseDirectory, "appsettings.json"), Path.Combine(Environment.CurrentDirectory, "appsettings.json") }.Distinct())
            if (File.Exists(optional)) Merge(merged, Parse(optional));
        if (configFile != null)
        {
            if (!File.Exists(configFile)) throw new FileNotFoundException($"configuration file {configFile} does not exist", configFile);
            Merge(merged, Parse(configFile));
        }
        return merged.Deserialize<ServerOptions>(Json)!;
    }

    private static JsonObject Parse(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: DocumentOptions)?.AsObject() ?? [];
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Object members merge recursively (names case-insensitive); any other value replaces.</summary>
    private static void Merge(JsonObject target, JsonObject layer)
    {
        foreach (var (name, value) in layer.ToList())
        {
            var existing = target.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));
            var key = existing.Key ?? name;
            if (existing.Value is JsonObject to && value is JsonObject from) { Merge(to, from); continue; }
            target[key] = value?.DeepClone();
        }
    }
}
