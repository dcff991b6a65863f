using System.CommandLine;
using Serilog;
using Serilog.Events;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs serve [--config FILE] [--data DIR] [--dicom-port N] [--http-port N] [--ae TITLE]</c>: opens the archive
/// (recovering from any crash), logs to the console and to DATA/logs, and runs until SIGTERM or Ctrl-C, then refuses
/// new stores, finishes those in flight and closes the catalog.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var data = CommonOptions.Data();
        var dicomPort = new Option<int?>("--dicom-port") { Description = "DIMSE port (default 11112)" };
        var httpPort = new Option<int?>("--http-port") { Description = "HTTP port for DICOMweb (default 8080)" };
        var ae = new Option<string?>("--ae") { Description = "Our AE title (default TCIAPACS)" };
        var peers = new Option<string[]>("--peer") { Description = "A known DICOM peer AET@HOST:PORT (C-MOVE destination, allowed caller); repeatable", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("serve", "Run the archive") { config, data, dicomPort, httpPort, ae, peers };
        command.SetAction(parse =>
        {
            if (CommonOptions.Load(parse, config, data) is not { } options) return 2;
            if (parse.GetValue(dicomPort) is { } dp) options.Dimse.Port = dp;
            if (parse.GetValue(httpPort) is { } hp) options.Http.Port = hp;
            if (parse.GetValue(ae) is { } a) options.Dimse.AeTitle = a;
            try
            {
                foreach (var p in parse.GetValue(peers) ?? []) options.Dimse.Peers.Add(ServerOptions.DimsePeer.Parse(p));
            }
            catch (FormatException ex)
            {
                Console.Error.WriteLine($"error: --peer: {ex.Message}");
                return 2;
            }
            return Run(options).GetAwaiter().GetResult();
        });
        return command;
    }

    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private static async Task<int> Run(ServerOptions options)
    {
        // Read once by the runtime, when the process first uses a socket asynchronously: so before the hosts start.
        // A C-MOVE or C-GET sub-operation then starts on the thread that read the previous one's response, without a
        // hand-off to the thread pool (docs/benchmarks.md, eighth pass). What runs there must never wait for a socket
        // of its own: StoreSender re-encodes on the thread pool for that reason.
        var inlineFromEnvironment = Environment.GetEnvironmentVariable(InlineCompletionsVariable);
        if (inlineFromEnvironment == null && options.InlineSocketCompletions) Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        options.DataDirectory = Path.GetFullPath(options.DataDirectory);
        var logs = Path.Combine(options.DataDirectory, "logs");
        Directory.CreateDirectory(logs);
        var level = Enum.TryParse<LogEventLevel>(options.Logging.MinimumLevel, true, out var l) ? l : LogEventLevel.Information;
        using var log = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Warning)
            .WriteTo.File(Path.Combine(logs, "tciapacs-.log"), rollingInterval: RollingInterval.Day, retainedFileCountLimit: options.Logging.RetainedFileCount)
            .CreateLogger();
        using var shutdown = new ShutdownSignal();
        try
        {
            log.Information("TciaPacs starting: data folder {DataDirectory}, process id {ProcessId}", options.DataDirectory, Environment.ProcessId);
            log.Information("Socket completions inline on the I/O threads: {Inline} ({Source})", Environment.GetEnvironmentVariable(InlineCompletionsVariable) == "1",
                inlineFromEnvironment != null ? InlineCompletionsVariable : "InlineSocketCompletions");
            // Set in tciapacs.runtimeconfig.json (System.GC.Gen0MaxBudget) or by DOTNET_GCGen0MaxBudget; as the GC applied it.
            log.Information("GC gen0 budget at most {Gen0MaxBudget} bytes", GC.GetConfigurationVariables().GetValueOrDefault("GCGen0MaxBudget"));
            // Said at start rather than at the first JPEG XL instance a peer cannot take as stored.
            log.Information("JPEG XL decoding: {JpegXl}", Dicom.Codecs.JpegXl.JpegXlCodec.Availability);
            using var loggers = new Serilog.Extensions.Logging.SerilogLoggerFactory(log);
            await using var archive = ArchiveFactory.Open(options, warning => log.Warning("{Warning}", warning), loggers: loggers);
            var report = await archive.Recovery.RecoverAsync(options.Storage.RecoveryParallelism, shutdown.Token);
            log.Information("Recovery: {Report}", report.ToString());
            foreach (var problem in report.Problems) log.Warning("Recovery removed {Problem}", problem);
            if (await archive.Curation.ResumeAsync() is > 0 and var resumed) log.Warning("Recovery completed {Moves} interrupted curator moves", resumed);
            if (options.Curation.IntakeCollections.Count > 0)
                log.Information("Intake collections (curators only, never public): {Intake}", string.Join(", ",
                    options.Curation.IntakeCollections.Select(i => string.IsNullOrEmpty(i.Value) ? i.Key : $"{i.Key} -> {i.Value}")));
            log.Information("Catalog: {Instances} instances; duplicate policy {Policy}", archive.Catalog.CountInstances(), options.Storage.DuplicatePolicy);
            await using var dimse = await DimseHost.StartAsync(options, archive, log, shutdown.Token);
            await using var web = await DicomWebHost.StartAsync(options, archive, log, shutdown.Token);
            log.Information("Ready; press Ctrl-C or send SIGTERM to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, shutdown.Token);
            }
            catch (OperationCanceledException)
            {
                log.Information("{Signal} received: refusing new stores and finishing those in flight", shutdown.Signal?.ToString() ?? "Stop");
            }
            // Stop listening and let the associations in progress finish before the archive refuses stores.
            await dimse.DisposeAsync();
            await archive.DrainAsync();
            log.Information("Stopped cleanly");
            return 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.Fatal(ex, "TciaPacs failed");
            return 1;
        }
    }
}
