using System.CommandLine;
using System.Runtime.ExceptionServices;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs store HOST PORT FILE|DIR... [--aet AE] [--aec AE]</c>: sends Part 10 files (folders recursively) by
/// C-STORE, each in its own transfer syntax (or re-encoded to a native one the peer accepts), with a progress line.
/// </summary>
internal static class StoreCommand
{
    private const int MaxContexts = 120;

    public static Command Create()
    {
        var host = ScuOptions.Host();
        var port = ScuOptions.Port();
        var paths = new Argument<string[]>("paths") { Arity = ArgumentArity.OneOrMore, Description = "Files or folders (recursively)" };
        var aet = ScuOptions.CallingAe();
        var aec = ScuOptions.CalledAe();
        var timeout = ScuOptions.Timeout();
        var command = new Command("store", "Send DICOM files to a peer (C-STORE)") { host, port, paths, aet, aec, timeout };
        command.SetAction(parse => ScuOptions.Run(ct => RunAsync(parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(paths)!, parse.GetValue(aet)!, parse.GetValue(aec)!, parse.GetValue(timeout), ct)));
        return command;
    }

    private static async Task<int> RunAsync(string host, int port, string[] paths, string aet, string aec, int timeout, CancellationToken ct)
    {
        var files = ScuOptions.Files(paths).ToList();
        var failures = new List<string>();
        var items = new List<(RetrieveItem Item, long Size)>();
        foreach (var f in files)
        {
            try
            {
                var file = DicomFile.Open(f, DicomReadOptions.HeaderOnly);
                var sop = file.Dataset.GetString(DicomTags.SOPClassUID)?.Trim('\0', ' ') ?? file.Meta.GetString(DicomTags.MediaStorageSOPClassUID)?.Trim('\0', ' ');
                var inst = file.Dataset.GetString(DicomTags.SOPInstanceUID)?.Trim('\0', ' ') ?? file.Meta.GetString(DicomTags.MediaStorageSOPInstanceUID)?.Trim('\0', ' ');
                if (string.IsNullOrEmpty(sop) || string.IsNullOrEmpty(inst)) { failures.Add($"{f}: no SOP Class or SOP Instance UID"); continue; }
                if (file.Meta.Count == 0) { failures.Add($"{f}: no file meta information (not a Part 10 file)"); continue; }
                items.Add((new RetrieveItem(f, sop, inst, file.TransferSyntax.Uid), new FileInfo(f).Length));
            }
            catch (Exception ex) when (ex is DicomParseException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{f}: {ex.Message}");
            }
        }
        var progress = new ImportProgress(items.Count, Console.Error, redraw: !Console.IsErrorRedirected);
        var sent = 0;
        foreach (var batch in Batches(items))
        {
            var contexts = DicomClient.Propose(Proposals(batch.Select(b => b.Item)));
            await using var client = await DicomClient.ConnectAsync(host, port, ScuOptions.Request(aet, aec, contexts), ScuOptions.Association(timeout), cancellationToken: ct);
            // Each file is opened and read while the peer stores the one before, as in a retrieval.
            var i = 0;
            await foreach (var outcome in StoreSender.SendEachAsync(client.Association, batch.ConvertAll(b => b.Item), null, null, ct))
            {
                var (item, size) = batch[i++];
                // A lost association or Ctrl-C ends the command; anything else is this file's failure and the rest still go.
                if (outcome.Error is AssociationAbortedException or OperationCanceledException) ExceptionDispatchInfo.Throw(outcome.Error);
                progress.Add(size);
                if (outcome.Error != null) failures.Add($"{item.FilePath}: {outcome.Error.Message}");
                else if (outcome.Status == StoreSender.NoContext) failures.Add($"{item.FilePath}: the peer accepted no presentation context for {DicomUids.Lookup(item.SopClassUid).Name} in {item.TransferSyntaxUid}");
                else if (DimseStatus.IsFailure(outcome.Status)) failures.Add($"{item.FilePath}: C-STORE status {ScuOptions.Status(outcome.Status)}");
                else sent++;
            }
            await client.ReleaseAsync(ct);
        }
        progress.Finish();
        Console.WriteLine($"{sent} sent, {failures.Count} failed of {files.Count} files in {progress.Elapsed.TotalSeconds:F1} s");
        foreach (var f in failures) Console.WriteLine($"  failed: {f}");
        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>
    /// Per SOP class: the stored transfer syntax of each file, and explicit/implicit VR little endian as fallbacks for
    /// native ones and for those our codecs decode (RLE Lossless).
    /// </summary>
    public static IEnumerable<(string, IReadOnlyList<string>)> Proposals(IEnumerable<RetrieveItem> items)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (seen.Add(item.SopClassUid + "|" + item.TransferSyntaxUid)) yield return (item.SopClassUid, [item.TransferSyntaxUid]);
            if (HasNativeFallback(item) && seen.Add(item.SopClassUid + "|native"))
                yield return (item.SopClassUid, [TransferSyntax.ExplicitVRLittleEndian.Uid, TransferSyntax.ImplicitVRLittleEndian.Uid]);
        }
    }

    private static bool HasNativeFallback(RetrieveItem item) =>
        !TransferSyntax.Lookup(item.TransferSyntaxUid).IsEncapsulated || Dimse.CodecPixelDataDecoder.Instance.CanDecode(item.TransferSyntaxUid);

    /// <summary>Files in groups that need at most <see cref="MaxContexts"/> presentation contexts (PS3.8 allows 128 per association).</summary>
    private static IEnumerable<List<(RetrieveItem Item, long Size)>> Batches(List<(RetrieveItem Item, long Size)> items)
    {
        var batch = new List<(RetrieveItem, long)>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in items.OrderBy(i => i.Item.SopClassUid, StringComparer.Ordinal))
        {
            var needed = new List<string> { entry.Item.SopClassUid + "|" + entry.Item.TransferSyntaxUid };
            if (HasNativeFallback(entry.Item)) needed.Add(entry.Item.SopClassUid + "|native");
            if (keys.Count + needed.Count(k => !keys.Contains(k)) > MaxContexts && batch.Count > 0)
            {
                yield return batch;
                batch = [];
                keys.Clear();
            }
            batch.Add(entry);
            keys.UnionWith(needed);
        }
        if (batch.Count > 0) yield return batch;
    }
}
