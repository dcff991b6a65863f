using System.CommandLine;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Cli;

/// <summary><c>tciapacs reindex [--data DIR]</c>: deletes the catalog (and index) and rebuilds them from the files alone.</summary>
internal static class ReindexCommand
{
    public static Command Create()
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var parallel = new Option<int>("--parallel", "-j") { Description = "Files read at once", DefaultValueFactory = _ => Math.Max(2, Environment.ProcessorCount) };
        var command = new Command("reindex", "Rebuild the catalog and the query index from the stored files") { data, config, parallel };
        command.SetAction(parse => CommonOptions.Load(parse, config, data) is not { } options ? 2 : Run(options, parse.GetValue(parallel)).GetAwaiter().GetResult());
        return command;
    }

    private static async Task<int> Run(ServerOptions options, int parallel)
    {
        var dataDirectory = options.DataDirectory;
        if (!Directory.Exists(Path.Combine(dataDirectory, "files")))
        {
            Console.Error.WriteLine($"error: {dataDirectory}: no archive here (no files folder)");
            return 2;
        }
        try
        {
            // Not while another process (serve, import) uses the folder.
            using (new FileStream(Path.Combine(dataDirectory, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)) { }
        }
        catch (IOException)
        {
            Console.Error.WriteLine($"error: the data folder {dataDirectory} is in use by another process");
            return 2;
        }
        ArchiveFactory.DeleteCatalog(dataDirectory);
        await using var archive = ArchiveFactory.Open(options);
        var report = await archive.Recovery.RebuildAsync(parallel);
        foreach (var p in report.Problems) Console.WriteLine($"not indexed: {p}");
        Console.WriteLine($"reindex: {report.FilesAdopted} instances indexed, {report.Problems.Count} files not indexed, {report.TemporaryFilesRemoved} temporary files removed");
        return report.Problems.Count > 0 ? 1 : 0;
    }
}
