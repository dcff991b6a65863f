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
/// <c>tciapacs store HOST PORT FILE|DIR... [--aet AE] [--aec AE] [--compress SYNTAX]</c>: sends Part 10 files (folders
/// recursively) by C-STORE, each in its own transfer syntax (or re-encoded to a native one the peer accepts), with a
/// progress line. With <c>--compress</c>, native images go in a lossless compressed syntax when the peer accepts it
/// (a site sending to an archive over a slow link sends a third of the bytes), each encoded just before it is sent.
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
        var compress = new Option<string?>("--compress")
        {
            Description = "Send native images in this lossless syntax when the peer accepts it: JPEGLSLossless, JPEG2000Lossless, HTJ2KLossless, HTJ2KLosslessRPCL, JPEGLosslessSV1, JPEGLossless, RLELossless or DeflatedImageFrameCompression (keyword or UID)",
        };
        var identity = ScuOptions.Identity();
        var command = new Command("store", "Send DICOM files to a peer (C-STORE)") { host, port, paths, aet, aec, timeout, compress, identity.User, identity.Password };
        command.SetAction(parse =>
        {
            TransferSyntax? target;
            try
            {
                target = StoreCompression.Resolve(parse.GetValue(compress), "--compress");
            }
            catch (InvalidDataException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            return ScuOptions.Run(ct => RunAsync(parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(paths)!, parse.GetValue(aet)!, parse.GetValue(aec)!, parse.GetValue(timeout), target, ScuOptions.IdentityOf(parse, identity), ct));
        });
        return command;
    }

    private static async Task<int> RunAsync(string host, int port, string[] paths, string aet, string aec, int timeout, TransferSyntax? compress, UserIdentity? identity,
        CancellationToken ct)
    {
        var files = ScuOptions.Files(paths).ToList();
        var failures = new List<string>();
        var items = new List<(RetrieveItem Item, long Size)>();
        var compressible = new HashSet<string>(StringComparer.Ordinal); // files whose image --compress can encode
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
                // The whole data set (large values stay in the file): whether its image can go compressed.
                if (compress != null && !file.TransferSyntax.IsEncapsulated && StoreCompression.WhyNot(DicomFile.Open(f).Dataset, file.TransferSyntax, compress) == null)
                    compressible.Add(f);
            }
            catch (Exception ex) when (ex is DicomParseException or IOException or UnauthorizedAccessException)
            {
                failures.Add($"{f}: {ex.Message}");
            }
        }
        var progress = new ImportProgress(items.Count, Console.Error, redraw: !Console.IsErrorRedirected);
        var sent = 0;
        var (compressedCount, compressedFrom, compressedTo) = (0, 0L, 0L);
        var temp = compress != null ? Directory.CreateTempSubdirectory("tciapacs-store-").FullName : null;
        try
        {
            foreach (var batch in Batches(items, compress != null))
            {
                var contexts = DicomClient.Propose(Proposals(batch.Select(b => b.Item), compress));
                await using var client = await DicomClient.ConnectAsync(host, port, ScuOptions.Request(aet, aec, contexts, identity: identity), ScuOptions.Association(timeout), cancellationToken: ct);
                // Encoded just before it goes, a few at a time, so that a large folder never needs its compressed copy on disk.
                foreach (var chunk in Compressing(batch, compress, compressible, client.Association, temp))
                {
                    // Each file is opened and read while the peer stores the one before, as in a retrieval.
                    var i = 0;
                    await foreach (var outcome in StoreSender.SendEachAsync(client.Association, chunk.ConvertAll(c => c.Item), null, null, ct))
                    {
                        var (item, size, original) = chunk[i++];
                        // A lost association or Ctrl-C ends the command; anything else is this file's failure and the rest still go.
                        if (outcome.Error is AssociationAbortedException or OperationCanceledException) ExceptionDispatchInfo.Throw(outcome.Error);
                        progress.Add(size);
                        if (outcome.Error != null) failures.Add($"{original}: {outcome.Error.Message}");
                        else if (outcome.Status == StoreSender.NoContext) failures.Add($"{original}: the peer accepted no presentation context for {DicomUids.Lookup(item.SopClassUid)} in {TransferSyntax.Lookup(item.TransferSyntaxUid).Name}");
                        else if (DimseStatus.IsFailure(outcome.Status)) failures.Add($"{original}: C-STORE status {ScuOptions.Status(outcome.Status)}");
                        else
                        {
                            sent++;
                            if (item.FilePath != original)
                            {
                                compressedCount++;
                                compressedFrom += size;
                                compressedTo += new FileInfo(item.FilePath).Length;
                            }
                        }
                        if (item.FilePath != original) File.Delete(item.FilePath);
                    }
                }
                await client.ReleaseAsync(ct);
            }
        }
        finally
        {
            if (temp != null) Directory.Delete(temp, recursive: true);
        }
        progress.Finish();
        Console.WriteLine($"{sent} sent, {failures.Count} failed of {files.Count} files in {progress.Elapsed.TotalSeconds:F1} s");
        if (compress != null)
            Console.WriteLine($"{compressedCount} sent in {compress.Name}: {compressedFrom / 1048576.0:F1} MB as {compressedTo / 1048576.0:F1} MB");
        foreach (var f in failures) Console.WriteLine($"  failed: {f}");
        return failures.Count == 0 ? 0 : 1;
    }

    /// <summary>
    /// The batch in chunks of up to 8 files (one chunk without compression), those that go compressed (the peer accepted <paramref name="compress"/>
    /// for their SOP class, and their image is one it holds) encoded into <paramref name="temp"/> first; a file that
    /// fails to encode goes as it is. Each entry: what to send, the original's size and path.
    /// </summary>
    private static IEnumerable<List<(RetrieveItem Item, long Size, string Original)>> Compressing(List<(RetrieveItem Item, long Size)> batch, TransferSyntax? compress,
        HashSet<string> compressible, DicomAssociation association, string? temp)
    {
        // Without compression, one chunk: the sender reads each file ahead while the peer stores the one before.
        var chunkSize = compress != null ? 8 : Math.Max(1, batch.Count);
        for (var start = 0; start < batch.Count; start += chunkSize)
        {
            var chunk = batch.Skip(start).Take(chunkSize).Select(b => (b.Item, b.Size, Original: b.Item.FilePath)).ToList();
            if (compress != null && temp != null)
                Parallel.For(0, chunk.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
                {
                    var item = chunk[i].Item;
                    if (!compressible.Contains(item.FilePath) || !association.AcceptedContexts(item.SopClassUid).Any(c => c.AcceptedTransferSyntax == compress.Uid)) return;
                    var path = Path.Combine(temp, $"{Guid.NewGuid():N}.dcm");
                    try
                    {
                        TciaPacs.Dicom.Codecs.DicomTranscoder.Default.TranscodeFile(item.FilePath, compress, path);
                        chunk[i] = (item with { FilePath = path, TransferSyntaxUid = compress.Uid }, chunk[i].Size, chunk[i].Original);
                    }
                    catch (Exception ex) when (ex is TciaPacs.Dicom.Codecs.DicomCodecException or NotSupportedException or IOException or DicomParseException)
                    {
                        File.Delete(path); // sent as it is
                    }
                });
            yield return chunk;
        }
    }

    /// <summary>
    /// Per SOP class: the stored transfer syntax of each file, and explicit/implicit VR little endian as fallbacks for
    /// native ones and for those our codecs decode (RLE Lossless); with <paramref name="compress"/>, that syntax too for
    /// the classes of native files, in a context of its own (the peer may accept it or not).
    /// </summary>
    public static IEnumerable<(string, IReadOnlyList<string>)> Proposals(IEnumerable<RetrieveItem> items, TransferSyntax? compress = null)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (seen.Add(item.SopClassUid + "|" + item.TransferSyntaxUid)) yield return (item.SopClassUid, [item.TransferSyntaxUid]);
            if (HasNativeFallback(item) && seen.Add(item.SopClassUid + "|native"))
                yield return (item.SopClassUid, [TransferSyntax.ExplicitVRLittleEndian.Uid, TransferSyntax.ImplicitVRLittleEndian.Uid]);
            if (compress != null && !TransferSyntax.Lookup(item.TransferSyntaxUid).IsEncapsulated && seen.Add(item.SopClassUid + "|" + compress.Uid))
                yield return (item.SopClassUid, [compress.Uid]);
        }
    }

    private static bool HasNativeFallback(RetrieveItem item) =>
        !TransferSyntax.Lookup(item.TransferSyntaxUid).IsEncapsulated || Dimse.CodecPixelDataDecoder.Instance.CanDecode(item.TransferSyntaxUid);

    /// <summary>Files in groups that need at most <see cref="MaxContexts"/> presentation contexts (PS3.8 allows 128 per association).</summary>
    private static IEnumerable<List<(RetrieveItem Item, long Size)>> Batches(List<(RetrieveItem Item, long Size)> items, bool compressing)
    {
        var batch = new List<(RetrieveItem, long)>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in items.OrderBy(i => i.Item.SopClassUid, StringComparer.Ordinal))
        {
            var needed = new List<string> { entry.Item.SopClassUid + "|" + entry.Item.TransferSyntaxUid };
            if (HasNativeFallback(entry.Item)) needed.Add(entry.Item.SopClassUid + "|native");
            if (compressing && !TransferSyntax.Lookup(entry.Item.TransferSyntaxUid).IsEncapsulated) needed.Add(entry.Item.SopClassUid + "|compressed");
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
