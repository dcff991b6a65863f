using System.CommandLine;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs query --level STUDY KEY=VALUE... [--limit N] [--offset N] [--fuzzy] [--json] [--collection NAME]</c>:
/// runs a query through the same engine as C-FIND and QIDO-RS and prints a table (or a DICOM JSON array).
/// </summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var keys = new Argument<string[]>("keys") { Arity = ArgumentArity.ZeroOrMore, Description = "KEY=VALUE (keyword or tag; empty value: return key), e.g. PatientName=Doe* StudyDate=20200101-" };
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var level = new Option<string>("--level", "-l") { Description = "PATIENT, STUDY, SERIES or IMAGE", DefaultValueFactory = _ => "STUDY" };
        var limit = new Option<int?>("--limit") { Description = "At most N results" };
        var offset = new Option<int>("--offset") { Description = "Skip the first N results" };
        var fuzzy = new Option<bool>("--fuzzy") { Description = "Fuzzy person-name matching (PS3.4 C.2.2.2.1.3)" };
        var json = new Option<bool>("--json") { Description = "Print a DICOM JSON array (PS3.18 F)" };
        // One name per --collection (repeat it): taking several per token would swallow the KEY=VALUE arguments after it.
        var collections = new Option<string[]>("--collection") { Description = "Only this collection (repeat for several)" };
        var command = new Command("query", "Query the archive (C-FIND/QIDO-RS matching)") { keys, data, config, level, limit, offset, fuzzy, json, collections };
        command.SetAction(parse => CommonOptions.Load(parse, config, data) is not { } options ? 2 : Run(options.DataDirectory, parse.GetValue(level)!, parse.GetValue(keys) ?? [], parse.GetValue(limit), parse.GetValue(offset),
            parse.GetValue(fuzzy), parse.GetValue(json), parse.GetValue(collections) ?? []).GetAwaiter().GetResult());
        return command;
    }

    private static async Task<int> Run(string dataDirectory, string levelText, string[] keyTexts, int? limit, int offset, bool fuzzy, bool json, string[] collections)
    {
        if (!File.Exists(Path.Combine(dataDirectory, "catalog.db")))
        {
            Console.Error.WriteLine($"error: {dataDirectory}: no archive here (no catalog.db)");
            return 2;
        }
        DicomQuery query;
        try
        {
            query = new DicomQuery(DicomQuery.ParseLevel(levelText), QueryKeyParser.ParseAll(keyTexts))
            {
                Limit = limit,
                Offset = offset,
                FuzzyMatching = fuzzy,
                Collections = collections.Length > 0 ? collections.ToHashSet(StringComparer.Ordinal) : null,
            };
        }
        catch (QueryException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
        await using var archive = ArchiveFactory.Open(dataDirectory, exclusive: false);
        var responses = archive.Query.Execute(query);
        if (json)
        {
            Console.WriteLine(DicomJson.SerializeArray(responses, new DicomJsonOptions { Indented = true }));
            return 0;
        }
        PrintTable(responses, query);
        return 0;
    }

    private static void PrintTable(IReadOnlyList<DicomDataset> responses, DicomQuery query)
    {
        var columns = query.Keys.Select(k => k.Tag).Concat(ResponseBuilder.UniqueKeys(query.Level)).Distinct().ToList();
        var header = columns.Select(t => DicomDictionary.KeywordOf(t) is { Length: > 0 } k ? k : t.ToString()).ToList();
        var rows = responses.Select(r => columns.Select(t => Cell(r, t)).ToList()).ToList();
        var widths = header.Select((h, i) => Math.Min(64, rows.Select(r => r[i].Length).Append(h.Length).Max())).ToList();
        string Line(IReadOnlyList<string> cells) => string.Join("  ", cells.Select((c, i) => (c.Length > widths[i] ? c[..(widths[i] - 1)] + "…" : c).PadRight(widths[i]))).TrimEnd();
        Console.WriteLine(Line(header));
        Console.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows) Console.WriteLine(Line(row));
        Console.Error.WriteLine($"{responses.Count} {query.Level.ToString().ToLowerInvariant()} result(s)");
    }

    private static string Cell(DicomDataset ds, DicomTag tag) => ds.Get(tag) switch
    {
        null => "",
        DicomSequence sq => $"({sq.Items.Count} items)",
        var e => ds.GetString(e),
    };
}
