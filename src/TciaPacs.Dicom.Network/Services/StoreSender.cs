using System.Buffers;
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
    /// <summary>The status of the C-STORE-RSP, or <see cref="NoContext"/> when no accepted context can carry the file.</summary>
    public static async Task<ushort> SendAsync(DicomAssociation association, RetrieveItem item, string? moveOriginatorAe, ushort? moveOriginatorMessageId, CancellationToken cancellationToken)
    {
        var (context, transcode) = ChooseContext(association, item);
        if (context == null) return NoContext;
        var request = DimseCommand.Request(CommandField.CStoreRequest, association.NextMessageId(), item.SopClassUid, hasDataSet: true);
        request.AffectedSopInstanceUid = item.SopInstanceUid;
        if (moveOriginatorAe != null)
        {
            request.MoveOriginatorAeTitle = moveOriginatorAe;
            request.MoveOriginatorMessageId = moveOriginatorMessageId;
        }
        // Everything that can fail on our side happens before the command goes out: a message, once begun, must be completed.
        var stored = transcode ? null : OpenAtDataSet(item);
        try
        {
            Func<Stream, CancellationToken, Task> write = stored != null ? WriteAsStored(stored) : WriteTranscoded(DicomFile.Open(item.FilePath), context.AcceptedTransferSyntax!);
            await foreach (var response in association.SendRequestAsync(context.Id, request, write, cancellationToken).ConfigureAwait(false))
            {
                using (response)
                {
                    if (!DimseStatus.IsPending(response.Command.Status)) return response.Command.Status;
                }
            }
            throw new AssociationAbortedException("no C-STORE-RSP");
        }
        finally
        {
            stored?.Dispose();
        }
    }

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

    private static Func<Stream, CancellationToken, Task> WriteAsStored(FileStream file) => async (output, ct) =>
    {
        // Synchronous reads: an asynchronous FileStream read is a thread-pool hand-off (a wake-up) on Linux, twice per
        // instance, while a stored file is usually in the page cache; a read from disk blocks one pool thread for at
        // most one buffer.
        var buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            int n;
            while ((n = file.Read(buffer)) > 0)
                await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    };

    private static Func<Stream, CancellationToken, Task> WriteTranscoded(DicomFile file, string transferSyntaxUid) => (output, ct) =>
    {
        // Large values stay in the file (FileBuffer) and are copied through; the data set is never whole in memory.
        DicomWriter.WriteDataset(output, file.Dataset, TransferSyntax.Lookup(transferSyntaxUid));
        return Task.CompletedTask;
    };
}
