using System.CommandLine;
using TciaPacs.Archive.Indexing;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Cli;

/// <summary>Options shared by the archive commands.</summary>
internal static class CommonOptions
{
    public static Option<string?> Data() => new("--data", "-d") { Description = "The data folder (default ./data, or the configuration's DataDirectory)" };

    public static Option<string?> Config() => new("--config", "-c") { Description = "JSON configuration file (layered over the defaults and appsettings.json)" };

    /// <summary>
    /// The configuration as <c>serve</c> would see it, with <c>--data</c> over it: import, reindex and query must use the
    /// same data folder, index attributes and store filters as the server, or they would build a different archive.
    /// </summary>
    public static ServerOptions? Load(ParseResult parse, Option<string?> config, Option<string?> data)
    {
        ServerOptions options;
        try
        {
            options = ConfigurationLoader.Load(parse.GetValue(config));
            foreach (var spec in options.Index.ExtraAttributes) IndexedAttributes.Parse(spec);
            StoreCompression.Create(options.Storage); // an unknown or lossy syntax stops here, before anything is stored
            foreach (var peer in options.Dimse.Peers) StoreCompression.ResolveList(peer.Compression, $"Dimse.Peers.{peer.AeTitle}.Compression");
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"error: configuration Index.ExtraAttributes: {ex.Message}");
            return null;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return null;
        }
        if (parse.GetValue(data) is { } d) options.DataDirectory = d;
        return options;
    }

    /// <summary>
    /// The archive <paramref name="open"/> returns (it takes the data folder's lock), recovered, with recovery's work
    /// reported on stderr; null, with the error on stderr (and <paramref name="hint"/>), when another process holds the folder.
    /// </summary>
    public static async Task<TciaPacs.Archive.DicomArchive?> OpenRecoveredAsync(Func<TciaPacs.Archive.DicomArchive> open, string? hint = null)
    {
        TciaPacs.Archive.DicomArchive archive;
        try
        {
            archive = open();
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}{(hint != null ? $" ({hint})" : "")}");
            return null;
        }
        var recovery = await archive.Recovery.RecoverAsync(cancellationToken: CancellationToken.None);
        if (recovery.TemporaryFilesRemoved + recovery.FilesAdopted + recovery.OrphanFilesRemoved + recovery.RowsWithoutFileRemoved > 0)
            Console.Error.WriteLine($"recovery: {recovery}");
        if (await archive.Curation.ResumeAsync() is > 0 and var moves) Console.Error.WriteLine($"recovery: completed {moves} interrupted curator moves");
        return archive;
    }
}
