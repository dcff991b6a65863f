using System.Buffers;
using System.Runtime.CompilerServices;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Services;

/// <summary>
/// Sends Part 10 files by C-STORE (PS3.4 B.2, PS3.7 9.1.1) on an established association: the data set bytes as
/// stored when a context with the file's transfer syntax was accepted (streamed from the file, never loaded), else
/// re-encoded into an accepted native transfer syntax when the file's is native too.
/// </summary>
public static class StoreSender
{
    /// <summary>
    /// Opens the file of <paramref name="item"/> and reads its first bytes, ahead of sending it: a retrieval prepares
    /// the next instance while the peer is still storing the one before. Never throws for the file: what went wrong
    /// is thrown by <see cref="SendAsync(DicomAssociation, PreparedInstance, string?, ushort?, CancellationToken)"/>,
    /// in the sub-operation it belongs to.
    /// </summary>
    private static PreparedInstance Prepare(DicomAssociation association, RetrieveItem item)
    {
        var (context, transcode) = ChooseContext(association, item);
        var prepared = new PreparedInstance(item, context);
        if (context == null) return prepared;
        try
        {
            if (transcode) prepared.Parsed = DicomFile.Open(item.FilePath);
            else prepared.ReadAhead(OpenAtDataSet(item));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            prepared.Fail(ex);
        }
        return prepared;
    }

    /// <summary>Sends a prepared instance; the status of the C-STORE-RSP, or <see cref="NoContext"/>. The caller disposes <paramref name="prepared"/>.</summary>
    private static async Task<ushort> SendAsync(DicomAssociation association, PreparedInstance prepared, string? moveOriginatorAe, ushort? moveOriginatorMessageId, CancellationToken cancellationToken)
    {
        var item = prepared.Item;
        if (prepared.Context is not { } context) return NoContext;
        // Everything that can fail on our side happens before the command goes out: a message, once begun, must be completed.
        prepared.ThrowIfFailed();
        var request = DimseCommand.Request(CommandField.CStoreRequest, association.NextMessageId(), item.SopClassUid, hasDataSet: true);
        request.AffectedSopInstanceUid = item.SopInstanceUid;
        if (moveOriginatorAe != null)
        {
            request.MoveOriginatorAeTitle = moveOriginatorAe;
            request.MoveOriginatorMessageId = moveOriginatorMessageId;
        }
        Func<Stream, CancellationToken, Task> write = prepared.Parsed is { } parsed ? WriteTranscoded(parsed, context.AcceptedTransferSyntax!) : prepared.WriteAsStoredAsync;
        await foreach (var response in association.SendRequestAsync(context.Id, request, write, cancellationToken).ConfigureAwait(false))
        {
            using (response)
            {
                if (!DimseStatus.IsPending(response.Command.Status)) return response.Command.Status;
            }
        }
        throw new AssociationAbortedException("no C-STORE-RSP");
    }

    /// <summary>
    /// Sends <paramref name="items"/> one at a time (no asynchronous operations window), each opened and read while the
    /// peer stores the one before, and yields each outcome. What failed for one instance, on our side or the peer's
    /// (<see cref="IsSendFailure"/>), is yielded with it; anything else is thrown. Stopping the iteration stops the
    /// sending: the instance read ahead is dropped.
    /// </summary>
    public static async IAsyncEnumerable<SentInstance> SendEachAsync(DicomAssociation association, IReadOnlyList<RetrieveItem> items, string? moveOriginatorAe,
        ushort? moveOriginatorMessageId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (items.Count == 0) yield break;
        PreparedInstance? next = Prepare(association, items[0]);
        try
        {
            for (var i = 0; i < items.Count; i++)
            {
                using var current = next!;
                next = null;
                // The send runs until it waits for the peer's C-STORE-RSP; the next instance is opened and read meanwhile.
                var sending = SendAsync(association, current, moveOriginatorAe, moveOriginatorMessageId, cancellationToken);
                if (i + 1 < items.Count) next = Prepare(association, items[i + 1]);
                ushort status = 0;
                Exception? error = null;
                try
                {
                    status = await sending.ConfigureAwait(false);
                }
                catch (Exception ex) when (IsSendFailure(ex))
                {
                    error = ex;
                }
                yield return new SentInstance(items[i], status, error);
            }
        }
        finally
        {
            next?.Dispose();
        }
    }

    /// <summary>A failure that belongs to one instance's send: its file, its encoding, or the association it went on.</summary>
    public static bool IsSendFailure(Exception ex) =>
        ex is IOException or InvalidDataException or DicomParseException or AssociationAbortedException or OperationCanceledException or UnauthorizedAccessException;

    /// <summary>Not a DIMSE status: no accepted presentation context fits the instance (counted as a failed sub-operation).</summary>
    public const ushort NoContext = 0xA702;

    public static (PresentationContext? Context, bool Transcode) ChooseContext(DicomAssociation association, RetrieveItem item)
    {
        var contexts = association.AcceptedContexts(item.SopClassUid).ToList();
        if (contexts.FirstOrDefault(c => c.AcceptedTransferSyntax == item.TransferSyntaxUid) is { } exact) return (exact, false);
        var stored = TransferSyntax.Lookup(item.TransferSyntaxUid);
        if (stored.IsEncapsulated) return (null, false);
        var native = contexts.FirstOrDefault(c => !TransferSyntax.Lookup(c.AcceptedTransferSyntax!).IsEncapsulated);
        return native == null ? (null, false) : (native, true);
    }

    /// <summary>The file, open and positioned at its data set (after the file meta information).</summary>
    private static FileStream OpenAtDataSet(RetrieveItem item)
    {
        // A small buffer for the meta information's little reads; the data set's large reads bypass it.
        var file = new FileStream(item.FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        try
        {
            file.Position = (Part10.LocateDataSet(file) ?? throw new InvalidDataException($"{item.FilePath}: no file meta information")).Offset;
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    // Large values stay in the file (FileBuffer) and are copied through; the data set is never whole in memory. The
    // writer is synchronous, so its socket writes block: on a thread-pool thread, never on the thread that runs socket
    // completions (with inline completions a sub-operation starts there, and a blocked write would wait for itself).
    private static Func<Stream, CancellationToken, Task> WriteTranscoded(DicomFile file, string transferSyntaxUid) => (output, ct) =>
        Task.Run(() => DicomWriter.WriteDataset(output, file.Dataset, TransferSyntax.Lookup(transferSyntaxUid)), ct);
}

/// <summary>What became of one instance sent by <see cref="StoreSender.SendEachAsync"/>: the C-STORE-RSP status (or <see cref="StoreSender.NoContext"/>), or the failure that stopped its send.</summary>
public readonly record struct SentInstance(RetrieveItem Item, ushort Status, Exception? Error);

/// <summary>
/// An instance ready to go by C-STORE (<see cref="StoreSender.Prepare"/>): its presentation context, and either its
/// file open at the data set with the first bytes already read, or its parsed data set when it must be re-encoded, or
/// what went wrong.
/// </summary>
internal sealed class PreparedInstance : IDisposable
{
    // Read ahead of the send: a whole instance of up to this size, so that a retrieval of small instances reads each
    // while the peer stores the previous one; larger ones stream the rest when sent.
    private const int ReadAheadBytes = 256 * 1024;

    private FileStream? _file;
    private byte[]? _head;
    private int _headLength;
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _failure;

    internal PreparedInstance(RetrieveItem item, PresentationContext? context)
    {
        Item = item;
        Context = context;
    }

    public RetrieveItem Item { get; }
    internal PresentationContext? Context { get; }
    internal DicomFile? Parsed { get; set; }

    internal void ReadAhead(FileStream file)
    {
        _file = file;
        _head = ArrayPool<byte>.Shared.Rent(ReadAheadBytes);
        // Synchronous: an asynchronous FileStream read is a thread-pool hand-off on Linux, and a stored file is
        // usually in the page cache; a read from disk blocks one pool thread for at most one buffer.
        _headLength = file.ReadAtLeast(_head, _head.Length, throwOnEndOfStream: false);
    }

    internal void Fail(Exception ex) => _failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);

    internal void ThrowIfFailed() => _failure?.Throw();

    internal async Task WriteAsStoredAsync(Stream output, CancellationToken cancellationToken)
    {
        await output.WriteAsync(_head.AsMemory(0, _headLength), cancellationToken).ConfigureAwait(false);
        if (_headLength < _head!.Length) return;
        int n;
        while ((n = _file!.Read(_head)) > 0)
            await output.WriteAsync(_head.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
        if (_head != null) ArrayPool<byte>.Shared.Return(_head);
        _head = null;
    }
}

