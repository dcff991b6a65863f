using System.Collections.Concurrent;
using System.CommandLine;
using System.Globalization;
using TciaPacs.Archive;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs recompress [--syntax LIST] [--collection NAME]... [--parallel N] [--dry-run]</c>: re-encodes the stored
/// native images losslessly, as ingest compression (<c>Storage.Compression</c>) would have stored them, for an archive
/// that turns compression on after it has data. Each instance is stored again through the pipeline, without the
/// filters (they ran when it came in) and with the duplicate policy Overwrite: the new file is durable and recorded
/// before the old one is deleted, so an interrupted run leaves every instance in one of its two forms, and running it
/// again carries on. Exit status 1 when any instance failed, 130 when interrupted.
/// </summary>
internal static class RecompressCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var syntax = new Option<string?>("--syntax")
        {
            Description = "Lossless syntaxes to re-encode in, tried in order (e.g. \"JPEGLSLossless, DeflatedImageFrameCompression\"); default: the configuration's Storage.Compression and CollectionCompression",
        };
        var collections = new Option<string[]>("--collection") { Description = "Only these collections (repeatable; default: all)", Arity = ArgumentArity.OneOrMore };
        var parallel = new Option<int>("--parallel", "-j") { Description = "Instances re-encoded at once", DefaultValueFactory = _ => Environment.ProcessorCount };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be re-encoded, change nothing" };
        var command = new Command("recompress", "Re-encode the stored native images losslessly (ingest compression, after the fact)") { data, config, syntax, collections, parallel, dryRun };
        command.SetAction(parse =>
        {
            if (CommonOptions.Load(parse, config, data) is not { } options) return 2;
            StoreCompression? compression;
            try
            {
                compression = parse.GetValue(syntax) is { } list ? StoreCompression.Create(new ServerOptions.StorageSection { Compression = list }) : StoreCompression.Create(options.Storage);
            }
            catch (InvalidDataException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            if (compression == null)
            {
                Console.Error.WriteLine("error: nothing to re-encode into: pass --syntax (e.g. JPEGLSLossless) or set Storage.Compression in the configuration; allowed: "
                    + string.Join(", ", StoreCompression.Allowed.Select(t => DicomUids.Find(t.Uid)?.Keyword ?? t.Uid)));
                return 2;
            }
            return Run(options, compression, parse.GetValue(collections) ?? [], parse.GetValue(parallel), parse.GetValue(dryRun)).GetAwaiter().GetResult();
        });
        return command;
    }

    private static string Megabytes(long bytes) => string.Format(CultureInfo.InvariantCulture, bytes < 10_000_000 ? "{0:F2} MB" : "{0:F1} MB", bytes / 1e6);

    private const int CandidatePage = 1000;

    // Warnings kept for the summary; the rest are counted (one per instance could be millions of lines).
    private const int WarningsKept = 100;

    private static async Task<int> Run(ServerOptions options, StoreCompression compression, string[] collections, int parallel, bool dryRun)
    {
        if (!Directory.Exists(Path.Combine(options.DataDirectory, "files")))
        {
            Console.Error.WriteLine($"error: {options.DataDirectory}: no archive here (no files folder)");
            return 2;
        }
        using var shutdown = new ShutdownSignal();
        var warnings = new ConcurrentQueue<string>();
        var warningCount = 0;
        var storeOptions = new StoreOptions { DuplicatePolicy = DuplicatePolicy.Overwrite, Compression = compression, OnWarning = w => { if (Interlocked.Increment(ref warningCount) <= WarningsKept) warnings.Enqueue(w); } };
        if (await CommonOptions.OpenRecoveredAsync(() => ArchiveFactory.OpenUnfiltered(options, storeOptions), "stop the server first: recompress replaces files the server serves") is not { } archive)
            return 2;
        await using var _ = archive;

        // Native instances of the chosen collections that have somewhere to go; the catalog says which are native. The
        // catalog is walked a page at a time, twice (to count, then to work), so that an archive of millions of instances
        // costs one page of memory, and no read stays open while the replacements are committed.
        var wanted = new HashSet<string>(collections, StringComparer.OrdinalIgnoreCase);
        IEnumerable<InstanceFile> Candidates()
        {
            string? after = null;
            while (true)
            {
                var page = archive.Catalog.InstanceFilesPage(after, CandidatePage);
                foreach (var f in page)
                    if (!TransferSyntax.Lookup(f.TransferSyntaxUid).IsEncapsulated && (wanted.Count == 0 || wanted.Contains(f.Collection))
                        && compression.TargetsFor(f.Collection).Count > 0)
                        yield return f;
                if (page.Count < CandidatePage) yield break;
                after = page[^1].SopInstanceUid;
            }
        }
        var total = Candidates().Count();
        Console.Error.WriteLine($"{total} native instances to look at");

        var progress = new ImportProgress(total, Console.Error, !Console.IsErrorRedirected, "instances");
        var recompressed = new ConcurrentDictionary<string, (int Count, long Before, long After)>();
        var skipped = new ConcurrentDictionary<string, int>();
        var failed = new ConcurrentQueue<string>();
        var interrupted = false;
        try
        {
            await Parallel.ForEachAsync(Candidates(), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallel), CancellationToken = shutdown.Token }, async (c, _) =>
            {
                var path = archive.Files.FullPath(c.RelativePath);
                try
                {
                    // The header decides (large values stay in the file): an image none of the syntaxes holds is left as it is.
                    var file = DicomFile.Open(path);
                    var reasons = compression.TargetsFor(c.Collection).Select(t => StoreCompression.WhyNot(file.Dataset, file.TransferSyntax, t)).ToList();
                    if (reasons.All(r => r != null))
                    {
                        skipped.AddOrUpdate(reasons[0]!, 1, (_, n) => n + 1);
                        return;
                    }
                    if (dryRun)
                    {
                        recompressed.AddOrUpdate("(dry run)", (1, c.Size, 0), (_, v) => (v.Count + 1, v.Before + c.Size, 0));
                        return;
                    }
                    // Not cancelled half-way: a replacement that started finishes (or leaves the instance as it was).
                    var result = await archive.StoreAsync(StoreRequest.FromFile(path, c.Collection), CancellationToken.None);
                    if (!result.IsStored) failed.Enqueue($"{c.SopInstanceUid}: {result.Reason}");
                    else if (result.Status == StoreStatus.SuccessDuplicate) skipped.AddOrUpdate("not re-encoded (see the warnings)", 1, (_, n) => n + 1);
                    else
                    {
                        var syntax = DicomFile.Open(archive.Files.FullPath(result.StoredPath!)).TransferSyntax.Name;
                        recompressed.AddOrUpdate(syntax, (1, c.Size, result.Size), (_, v) => (v.Count + 1, v.Before + c.Size, v.After + result.Size));
                    }
                }
                catch (Exception ex) when (ex is IOException or DicomParseException or UnauthorizedAccessException)
                {
                    failed.Enqueue($"{c.SopInstanceUid} ({c.RelativePath}): {ex.Message}");
                }
                finally
                {
                    progress.Add(c.Size);
                }
            });
        }
        catch (OperationCanceledException)
        {
            interrupted = true;
            Console.Error.WriteLine();
            Console.Error.WriteLine("interrupted: the replacements in progress were finished; run recompress again to carry on");
        }
        progress.Finish();

        foreach (var w in warnings) Console.WriteLine($"warning: {w}");
        if (warningCount > WarningsKept) Console.WriteLine($"warning: {warningCount - WarningsKept} more warnings like these");
        foreach (var f in failed.Order(StringComparer.Ordinal)) Console.WriteLine($"failed: {f}");
        foreach (var (reason, n) in skipped.OrderByDescending(p => p.Value)) Console.WriteLine($"left as stored: {n}: {reason}");
        foreach (var (syntax, (n, before, after)) in recompressed.OrderBy(p => p.Key, StringComparer.Ordinal))
            Console.WriteLine(dryRun
                ? $"would re-encode {n} instances ({Megabytes(before)})"
                : $"{n} instances re-encoded in {syntax}: {Megabytes(before)} → {Megabytes(after)}");
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "recompress: {0} re-encoded, {1} left as stored, {2} failed in {3:F1} s",
            dryRun ? 0 : recompressed.Values.Sum(v => v.Count), skipped.Values.Sum(), failed.Count, progress.Elapsed.TotalSeconds));
        return interrupted ? 130 : failed.IsEmpty ? 0 : 1;
    }
}
