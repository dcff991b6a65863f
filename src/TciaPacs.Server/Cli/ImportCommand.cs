using System.Collections.Concurrent;
using System.CommandLine;
using System.Globalization;
using TciaPacs.Archive;
using TciaPacs.Archive.Storing;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs import DIR|FILE... [--data DIR] [--collection NAME] [--parallel N] [--verbose]</c>: every file (folders
/// recursively) through the store pipeline, in parallel, with a progress line on stderr and a summary on stdout. With
/// --verbose each file's outcome is printed as soon as it is durable ("stored\tFILE\tSOP-UID"). Exit status 1 when any
/// file was rejected or refused, 130 when interrupted.
/// </summary>
internal static class ImportCommand
{
    // A store spends most of its time waiting for the shared file sync and the catalog's group commit; the more stores
    // wait on one syncfs, the fewer device flushes per file. On 2 cores, 32 at once stored 1.7x the files/s of 4 with
    // less CPU and the same peak RSS (docs/benchmarks.md, fourth pass); memory per store in flight is a header.
    private static int DefaultParallelism => Math.Max(32, 8 * Environment.ProcessorCount);

    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Arity = ArgumentArity.OneOrMore, Description = "DICOM files or folders (searched recursively)" };
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var collection = new Option<string?>("--collection") { Description = "Target collection (default: the configuration's Storage.DefaultCollection, \"default\")" };
        var parallel = new Option<int>("--parallel", "-j") { Description = "Files stored at once", DefaultValueFactory = _ => DefaultParallelism };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print one line per file" };
        var command = new Command("import", "Store DICOM files into the archive") { paths, data, config, collection, parallel, verbose };
        command.SetAction(parse => CommonOptions.Load(parse, config, data) is not { } options ? 2 : Run(parse.GetValue(paths)!, options, parse.GetValue(collection), parse.GetValue(parallel), parse.GetValue(verbose)).GetAwaiter().GetResult());
        return command;
    }

    private static async Task<int> Run(string[] inputs, ServerOptions options, string? collectionOption, int parallel, bool verbose)
    {
        var collection = collectionOption ?? options.Storage.DefaultCollection;
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input)) files.AddRange(Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else if (File.Exists(input)) files.Add(input);
            else { Console.Error.WriteLine($"error: {input}: no such file or folder"); return 2; }
        }
        using var shutdown = new ShutdownSignal();
        if (await CommonOptions.OpenRecoveredAsync(() => ArchiveFactory.Open(options, warning => Console.Error.WriteLine($"warning: {warning}"))) is not { } archive) return 2;
        await using var _ = archive;

        var progress = new ImportProgress(files.Count, Console.Error, !Console.IsErrorRedirected);
        var outcomes = new ConcurrentQueue<(string File, StoreResult Result)>();
        var stdout = Console.Out;
        try
        {
            await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallel), CancellationToken = shutdown.Token }, async (file, _) =>
            {
                // Not cancelled half-way: a store that started finishes (or leaves nothing), only new files stop.
                var result = await archive.StoreAsync(StoreRequest.FromFile(file, collection), CancellationToken.None);
                outcomes.Enqueue((file, result));
                if (verbose)
                    lock (stdout) stdout.WriteLine($"{Word(result.Status)}\t{file}\t{(result.IsStored ? result.SopInstanceUid : result.Reason)}");
                progress.Add(result.Size);
            });
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine("interrupted: the stores in progress were finished; the other files were not imported");
        }
        progress.Finish();
        return Summarize(outcomes.ToList(), progress.Elapsed, shutdown.Token.IsCancellationRequested, verbose);
    }

    private static int Summarize(List<(string File, StoreResult Result)> outcomes, TimeSpan elapsed, bool interrupted, bool verbose)
    {
        int Count(params StoreStatus[] s) => outcomes.Count(o => s.Contains(o.Result.Status));
        var stored = Count(StoreStatus.Success, StoreStatus.Warning);
        var rejected = outcomes.Where(o => o.Result.Status is StoreStatus.Failure or StoreStatus.Refused).OrderBy(o => o.File, StringComparer.Ordinal).ToList();
        // Every de-identified instance is stored with a coercion warning (B000); listing each would bury the quarantined
        // ones, so those are listed with --verbose only.
        var warnings = outcomes.Where(o => o.Result.Status == StoreStatus.Quarantined || (verbose && o.Result.Status == StoreStatus.Warning))
            .OrderBy(o => o.File, StringComparer.Ordinal).ToList();
        foreach (var (file, r) in warnings) Console.WriteLine($"warning: {file}: {r.Reason}");
        foreach (var (file, r) in rejected) Console.WriteLine($"rejected: {file}: {r.Reason}");
        var mb = outcomes.Sum(o => o.Result.Size) / 1e6; // MB as the benchmarks count them (10^6 bytes)
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "{0} files: {1} stored, {2} duplicate, {3} quarantined, {4} rejected in {5:F1} s ({6:F1} files/s, {7:F1} MB/s)",
            outcomes.Count, stored, Count(StoreStatus.SuccessDuplicate), Count(StoreStatus.Quarantined), rejected.Count,
            elapsed.TotalSeconds, outcomes.Count / Math.Max(elapsed.TotalSeconds, 0.001), mb / Math.Max(elapsed.TotalSeconds, 0.001)));
        if (interrupted) return 130;
        return rejected.Count > 0 ? 1 : 0;
    }

    private static string Word(StoreStatus status) => status switch
    {
        StoreStatus.Success or StoreStatus.Warning => "stored",
        StoreStatus.SuccessDuplicate => "duplicate",
        StoreStatus.Quarantined => "quarantined",
        _ => "rejected",
    };
}
