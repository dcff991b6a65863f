using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using TciaPacs.Archive.Storage;

namespace TciaPacs.Archive.Lists;

/// <summary>
/// A shared list of series (TCIA's "shared cart"): a researcher's selection, named so that colleagues and scripts can
/// fetch the same series. Who sees which of its series is the door's business; the list keeps their UIDs.
/// </summary>
public sealed record SeriesList(string Name, string Owner, string Description, IReadOnlyList<string> SeriesInstanceUids, DateTimeOffset Created, DateTimeOffset Updated);

/// <summary>
/// The shared lists, one JSON file each under <c>DATA/lists</c>: written to a temporary name, flushed and renamed, the
/// folder synced, so that a list is either its old or its new self after a crash. Names are what a URL holds as it is.
/// </summary>
public sealed partial class SeriesListStore
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };
    private readonly string _directory;
    private readonly Lock _gate = new();

    public SeriesListStore(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        _directory = Path.Combine(dataDirectory, "lists");
    }

    /// <summary>The most series one list holds: a list is read whole.</summary>
    public const int MaxSeries = 100_000;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex NamePattern();

    /// <summary>Null when <paramref name="name"/> can name a list; else why not.</summary>
    public static string? Problem(string name) => NamePattern().IsMatch(name) && !name.EndsWith(".tmp", StringComparison.Ordinal)
        ? null
        : $"'{name}' is not a list name: 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit";

    private string PathOf(string name) =>
        Problem(name) is { } why ? throw new ArgumentException(why, nameof(name)) : Path.Combine(_directory, name + ".json");

    public SeriesList? Get(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<SeriesList>(stream, Json);
    }

    /// <summary>Every list, by name.</summary>
    public IReadOnlyList<SeriesList> All()
    {
        if (!Directory.Exists(_directory)) return [];
        return Directory.EnumerateFiles(_directory, "*.json").Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal)
            .Select(Get).OfType<SeriesList>().ToList();
    }

    /// <summary>Creates or replaces the list durably (the caller decides who may).</summary>
    public void Save(SeriesList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var path = PathOf(list.Name);
        if (list.SeriesInstanceUids.Count > MaxSeries) throw new ArgumentException($"a list holds at most {MaxSeries} series", nameof(list));
        lock (_gate)
        {
            if (!Directory.Exists(_directory)) DurableIO.CreateDirectoryDurably(_directory);
            var temp = path + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, list, Json);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            DurableIO.SyncDirectory(_directory);
        }
    }

    public bool Delete(string name)
    {
        var path = PathOf(name);
        lock (_gate)
        {
            if (!File.Exists(path)) return false;
            File.Delete(path);
            DurableIO.SyncDirectory(_directory);
            return true;
        }
    }
}
