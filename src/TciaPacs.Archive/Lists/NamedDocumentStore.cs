using System.Text.Json;
using System.Text.RegularExpressions;
using TciaPacs.Archive.Storage;

namespace TciaPacs.Archive.Lists;

/// <summary>
/// A shared list of series (TCIA's "shared cart"): a researcher's selection, named so that colleagues and scripts can
/// fetch the same series. Who sees which of its series is the door's business; the list keeps their UIDs.
/// </summary>
public sealed record SeriesList(string Name, string Owner, string Description, IReadOnlyList<string> SeriesInstanceUids, DateTimeOffset Created, DateTimeOffset Updated)
{
    /// <summary>The most series one list holds: a list is read whole.</summary>
    public const int MaxSeries = 100_000;
}

/// <summary>
/// A saved query: a QIDO-RS query (its level, <c>studies</c>, <c>series</c> or <c>instances</c>, and its query string)
/// kept under a name, so that a cohort's definition can be run again, by its author or a colleague, as data arrives.
/// </summary>
public sealed record SavedQuery(string Name, string Owner, string Description, string Level, string Query, DateTimeOffset Created, DateTimeOffset Updated);

/// <summary>
/// Named documents (shared lists, saved queries) kept as one JSON file each in a folder of the data directory:
/// written to a temporary name, flushed and renamed, the folder synced, so that a document is either its old or its
/// new self after a crash. Names are what a URL holds as it is.
/// </summary>
public sealed partial class NamedDocumentStore<T> where T : class
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly string _directory;
    private readonly Lock _gate = new();

    /// <param name="folder">The folder under <paramref name="dataDirectory"/> (<c>lists</c>, <c>queries</c>).</param>
    public NamedDocumentStore(string dataDirectory, string folder)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        ArgumentNullException.ThrowIfNull(folder);
        _directory = Path.Combine(dataDirectory, folder);
    }

    /// <summary>Null when <paramref name="name"/> can name a document; else why not.</summary>
    public static string? Problem(string name) => NamePatterns.Name().IsMatch(name) && !name.EndsWith(".tmp", StringComparison.Ordinal)
        ? null
        : $"'{name}' is not a name: 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit";

    private string PathOf(string name) =>
        Problem(name) is { } why ? throw new ArgumentException(why, nameof(name)) : Path.Combine(_directory, name + ".json");

    public T? Get(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path)) return null;
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<T>(stream, Json);
    }

    /// <summary>Every document, by name.</summary>
    public IReadOnlyList<T> All()
    {
        if (!Directory.Exists(_directory)) return [];
        return Directory.EnumerateFiles(_directory, "*.json").Select(p => Path.GetFileNameWithoutExtension(p)).Order(StringComparer.Ordinal)
            .Select(Get).OfType<T>().ToList();
    }

    /// <summary>Creates or replaces the document durably (the caller decides who may).</summary>
    public void Save(string name, T document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var path = PathOf(name);
        lock (_gate)
        {
            if (!Directory.Exists(_directory)) DurableIO.CreateDirectoryDurably(_directory);
            var temp = path + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, document, Json);
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

/// <summary>The pattern of a document's name (generic classes hold no generated regex).</summary>
internal static partial class NamePatterns
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    public static partial Regex Name();
}
