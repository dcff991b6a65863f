using System.CommandLine;
using System.Globalization;
using TciaPacs.Archive.Deidentification;
using TciaPacs.Archive.Storing;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs quarantine list|show ID|release ID|delete ID [--data DIR] [--config FILE]</c>: the instances held by a
/// store filter (DATA/quarantine), which no query or retrieve sees. Release stores the instance into the collection it
/// was sent to, through the same de-identification but without the PHI scanner (a person has reviewed it); delete
/// removes it for good. (An admin HTTP API for the same is part of the web issue.)
/// </summary>
internal static class QuarantineCommand
{
    public static Command Create()
    {
        var command = new Command("quarantine", "List, show, release or delete quarantined instances");
        command.Subcommands.Add(Sub("list", "List quarantined instances with their findings", withId: false, (o, _) => List(o)));
        command.Subcommands.Add(Sub("show", "Show one quarantined instance and its findings", withId: true, Show));
        command.Subcommands.Add(Sub("release", "Store a reviewed instance (de-identified, not scanned again)", withId: true, (o, id) => Release(o, id).GetAwaiter().GetResult()));
        command.Subcommands.Add(Sub("delete", "Delete a quarantined instance", withId: true, Delete));
        return command;
    }

    private static Command Sub(string name, string description, bool withId, Func<ServerOptions, string, int> action)
    {
        var data = CommonOptions.Data();
        var config = CommonOptions.Config();
        var id = new Argument<string>("id") { Description = "The quarantine ID (from 'quarantine list')" };
        var command = new Command(name, description) { data, config };
        if (withId) command.Arguments.Add(id);
        command.SetAction(parse => CommonOptions.Load(parse, config, data) is not { } options ? 2 : action(options, withId ? parse.GetValue(id)! : ""));
        return command;
    }

    private static int List(ServerOptions options)
    {
        var items = new QuarantineStore(options.DataDirectory).List();
        Console.WriteLine("ID                COLLECTION        TIME                  FINDINGS");
        foreach (var q in items)
            Console.WriteLine($"{q.Id,-17} {q.Collection,-17} {q.Time?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-",-21} {q.Findings.Count}: {string.Join("; ", q.Findings.Take(3))}{(q.Findings.Count > 3 ? "; …" : "")}");
        Console.WriteLine($"{items.Count} quarantined");
        return 0;
    }

    private static int Show(ServerOptions options, string id)
    {
        if (new QuarantineStore(options.DataDirectory).Find(id) is not { } q) return NotFound(id);
        Console.WriteLine($"id: {q.Id}");
        Console.WriteLine($"collection: {q.Collection}");
        Console.WriteLine($"time: {q.Time?.ToString("O", CultureInfo.InvariantCulture) ?? "-"}");
        Console.WriteLine($"file: {q.FilePath}");
        Console.WriteLine("findings:");
        foreach (var f in q.Findings) Console.WriteLine($"  {f}");
        return 0;
    }

    private static async Task<int> Release(ServerOptions options, string id)
    {
        var store = new QuarantineStore(options.DataDirectory);
        if (store.Find(id) is not { } q) return NotFound(id);
        // Reviewed: the same filters as every store, the PHI scanner lets it pass (as the admin API's release does).
        await using var archive = ArchiveFactory.Open(options);
        var result = await archive.StoreAsync(StoreRequest.FromFile(q.FilePath, q.Collection) with { Reviewed = true }, CancellationToken.None);
        if (!result.IsStored)
        {
            Console.Error.WriteLine($"error: {id} was not stored: {result.Reason}");
            return 1;
        }
        store.Delete(id);
        Console.WriteLine($"released: {id} into {q.Collection} as {result.SopInstanceUid}");
        return 0;
    }

    private static int Delete(ServerOptions options, string id)
    {
        if (!new QuarantineStore(options.DataDirectory).Delete(id)) return NotFound(id);
        Console.WriteLine($"deleted: {id}");
        return 0;
    }

    private static int NotFound(string id)
    {
        Console.Error.WriteLine($"error: no quarantined instance '{id}'");
        return 1;
    }
}
