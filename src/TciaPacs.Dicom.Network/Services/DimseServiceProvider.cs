using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using TciaPacs.Dicom.Diagnostics;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Services;

/// <summary>
/// The SCP side of Verification, Storage and Query/Retrieve (PS3.4 Annexes A, B, C) over the protocol: a subclass
/// supplies the service-class contracts (store this file, find these, what to retrieve, where a destination is) and
/// this class speaks DIMSE — one function per DIMSE event: pending C-FIND responses streamed and C-CANCEL honoured,
/// C-MOVE sub-operations on a new association and C-GET ones on the same, with their counts and Failed SOP Instance
/// UID List.
/// </summary>
public abstract class DimseServiceProvider(ILogger log) : IDimseRequestHandler
{
    protected ILogger Log { get; } = log;

    /// <summary>Options of the sub-associations C-MOVE opens.</summary>
    protected virtual AssociationOptions SubAssociationOptions => new();

    /// <summary>
    /// Least time between two Pending C-MOVE/C-GET responses (PS3.4 C.4.2.3.1 and C.4.3.3.1 make them optional). One
    /// after every sub-operation costs the requestor a wake-up and a parse per instance and slows a retrieval of small
    /// instances; five a second is still a live progress display. Zero sends one after every sub-operation.
    /// </summary>
    protected virtual TimeSpan PendingResponseInterval => TimeSpan.FromMilliseconds(200);

    public Task HandleAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken) => request.Command.Field switch
    {
        CommandField.CEchoRequest => OnCEchoRequestAsync(association, request, cancellationToken),
        CommandField.CStoreRequest => OnCStoreRequestAsync(association, request, cancellationToken),
        CommandField.CFindRequest => OnCFindRequestAsync(association, request, cancellationToken),
        CommandField.CMoveRequest => OnCMoveRequestAsync(association, request, cancellationToken),
        CommandField.CGetRequest => OnCGetRequestAsync(association, request, cancellationToken),
        CommandField.NActionRequest => OnNActionRequestAsync(association, request, cancellationToken),
        _ => RespondAsync(association, request, DimseStatus.UnrecognizedOperation, $"{request.Command.Field} is not supported", null, cancellationToken),
    };

    // ---- Service-class contracts ----

    protected virtual Task<StoreOutcome> StoreAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(new StoreOutcome(DimseStatus.SopClassNotSupported, "storage is not provided"));

    /// <summary>The matches of a C-FIND identifier, as response identifiers; throw <see cref="DimseException"/> for a failure status.</summary>
    protected virtual IAsyncEnumerable<DicomDataset> FindAsync(DicomAssociation association, string sopClassUid, DicomDataset identifier, CancellationToken cancellationToken) =>
        throw new DimseException("C-FIND is not provided", DimseStatus.SopClassNotSupported);

    /// <summary>The instances a C-MOVE or C-GET identifier selects; throw <see cref="DimseException"/> for a failure status.</summary>
    protected virtual Task<IReadOnlyList<RetrieveItem>> RetrieveAsync(DicomAssociation association, string sopClassUid, DicomDataset identifier, CancellationToken cancellationToken) =>
        throw new DimseException("retrieve is not provided", DimseStatus.SopClassNotSupported);

    protected virtual MoveDestination? FindMoveDestination(DicomAssociation association, string aeTitle) => null;

    /// <summary>
    /// The compressed syntaxes (UIDs, preferred first) a C-GET requestor's native instances go in when it accepted one
    /// for their SOP class (see <see cref="StoreSender.SendEachAsync"/>); none by default.
    /// </summary>
    protected virtual IReadOnlyList<string> GetCompression(DicomAssociation association) => [];

    // ---- DIMSE events ----

    /// <summary>N-ACTION (PS3.7 10.1.4): not provided unless a subclass provides Storage Commitment.</summary>
    protected virtual Task OnNActionRequestAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken) =>
        RespondAsync(association, request, DimseStatus.NoSuchSopClass, "N-ACTION is not provided", null, cancellationToken);

    /// <summary>C-ECHO (PS3.7 9.1.5, PS3.4 A.4).</summary>
    protected virtual Task OnCEchoRequestAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken) =>
        RespondAsync(association, request, DimseStatus.Success, null, null, cancellationToken);

    /// <summary>C-STORE (PS3.7 9.1.1, PS3.4 B.2): the data set is already spooled to <see cref="DimseMessage.DataSetFile"/>.</summary>
    protected virtual async Task OnCStoreRequestAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
    {
        if (request.DataSetFile == null)
        {
            await RespondAsync(association, request, DimseStatus.UnableToProcess, "C-STORE-RQ without a data set", null, cancellationToken).ConfigureAwait(false);
            return;
        }
        var outcome = await StoreAsync(association, request, cancellationToken).ConfigureAwait(false);
        await RespondAsync(association, request, outcome.Status, outcome.Comment, null, cancellationToken).ConfigureAwait(false);
        StageTrace.Mark(StageTrace.ResponseSent, request.Command.AffectedSopInstanceUid);
    }

    /// <summary>C-FIND (PS3.7 9.1.2, PS3.4 C.4.1): one pending response (FF00) per match, then success; C-CANCEL ends it with FE00.</summary>
    protected virtual async Task OnCFindRequestAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
    {
        var identifier = ReadIdentifier(request);
        if (identifier == null)
        {
            await RespondAsync(association, request, DimseStatus.IdentifierDoesNotMatchSopClass, "no identifier", null, cancellationToken).ConfigureAwait(false);
            return;
        }
        var sop = request.Command.AffectedSopClassUid ?? request.Context.AbstractSyntax;
        var count = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await foreach (var match in FindAsync(association, sop, identifier, cancellationToken).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await RespondAsync(association, request, DimseStatus.Pending, null, match, CancellationToken.None).ConfigureAwait(false);
                count++;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !association.Closed.IsCancellationRequested)
        {
            Log.LogInformation("{Association}: C-FIND cancelled after {Count} matches", association, count);
            await RespondAsync(association, request, DimseStatus.Cancel, null, null, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        catch (DimseException ex)
        {
            Log.LogWarning("{Association}: C-FIND failed: {Message}", association, ex.Message);
            await RespondAsync(association, request, ex.Status, ex.Message, null, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        Log.LogInformation("{Association}: C-FIND {Sop}: {Count} matches in {Elapsed:F1} ms", association, DicomUids.Lookup(sop).Name, count, clock.Elapsed.TotalMilliseconds);
        await RespondAsync(association, request, DimseStatus.Success, null, null, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>C-MOVE (PS3.7 9.1.4, PS3.4 C.4.2): sub-operations as C-STORE SCU on a new association to the Move Destination.</summary>
    protected virtual async Task OnCMoveRequestAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var destinationAe = request.Command.MoveDestination ?? "";
        if (FindMoveDestination(association, destinationAe) is not { } destination)
        {
            Log.LogWarning("{Association}: C-MOVE to unknown destination {Destination}", association, destinationAe);
            await RespondAsync(association, request, DimseStatus.MoveDestinationUnknown, $"move destination {destinationAe} unknown", null, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (await ResolveAsync(association, request, cancellationToken).ConfigureAwait(false) is not { } items) return;
        if (items.Count == 0)
        {
            await RespondFinalAsync(association, request, new SubOperations(0), cancellationToken).ConfigureAwait(false);
            return;
        }
        // Each SOP class with its stored syntax, the native fallbacks, the syntaxes its coding rebuilds in exactly (JPEG
        // XL JPEG Recompression's JPEG) and, for native instances to a destination that should get them compressed, its
        // preferred syntaxes.
        var compression = destination.Compression;
        var contexts = DicomClient.Propose(items.Select(i => (i.SopClassUid, i.TransferSyntaxUid)).Distinct()
            .SelectMany(k => new[]
            {
                (k.SopClassUid, (IReadOnlyList<string>)[k.TransferSyntaxUid]),
                (k.SopClassUid, (IReadOnlyList<string>)[TransferSyntax.ExplicitVRLittleEndian.Uid, TransferSyntax.ImplicitVRLittleEndian.Uid]),
                (k.SopClassUid, StoreSender.RebuildableIn(k.TransferSyntaxUid)),
                (k.SopClassUid, compression.Count > 0 && !TransferSyntax.Lookup(k.TransferSyntaxUid).IsEncapsulated ? compression : []),
            })
            .Where(p => p.Item2.Count > 0)
            .Distinct(new ProposalComparer()).Take(127));
        var counts = new SubOperations(items.Count);
        ClientAssociation sub;
        try
        {
            var rq = new AssociateRequest { CalledAe = destination.AeTitle, CallingAe = association.CalledAe, PresentationContexts = contexts };
            sub = await DicomClient.ConnectAsync(destination.Host, destination.Port, rq, SubAssociationOptions, log: Log, cancellationToken: cancellationToken).ConfigureAwait(false);
            Log.LogDebug("{Association}: C-MOVE: {Count} instances resolved and {Destination} associated in {Elapsed:F1} ms", association, items.Count, destination.AeTitle, clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is AssociationRejectedException or AssociationAbortedException or IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            Log.LogWarning("{Association}: C-MOVE: cannot associate with {Destination} at {Host}:{Port}: {Message}", association, destination.AeTitle, destination.Host, destination.Port, ex.Message);
            counts.FailAll(items);
            await RespondFinalAsync(association, request, counts, cancellationToken, DimseStatus.OutOfResourcesSubOperations).ConfigureAwait(false);
            return;
        }
        await using (sub)
        {
            await RunSubOperationsAsync(association, request, sub.Association, items, counts, request.Command.MessageId, compression, cancellationToken).ConfigureAwait(false);
            if (!sub.Association.Closed.IsCancellationRequested) await sub.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        Log.LogInformation("{Association}: C-MOVE to {Destination}: {Counts} in {Elapsed:F1} ms ({Sop})", association, destination.AeTitle, counts, clock.Elapsed.TotalMilliseconds,
            DicomUids.Lookup(request.Command.AffectedSopClassUid ?? request.Context.AbstractSyntax).Name);
    }

    /// <summary>C-GET (PS3.7 9.1.3, PS3.4 C.4.3): sub-operations as C-STORE on this association, the requestor in the SCP role.</summary>
    protected virtual async Task OnCGetRequestAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (await ResolveAsync(association, request, cancellationToken).ConfigureAwait(false) is not { } items) return;
        var counts = new SubOperations(items.Count);
        await RunSubOperationsAsync(association, request, association, items, counts, null, GetCompression(association), cancellationToken).ConfigureAwait(false);
        Log.LogInformation("{Association}: C-GET: {Counts} in {Elapsed:F1} ms ({Sop})", association, counts, clock.Elapsed.TotalMilliseconds,
            DicomUids.Lookup(request.Command.AffectedSopClassUid ?? request.Context.AbstractSyntax).Name);
    }

    private async Task<IReadOnlyList<RetrieveItem>?> ResolveAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
    {
        var identifier = ReadIdentifier(request);
        if (identifier == null)
        {
            await RespondAsync(association, request, DimseStatus.IdentifierDoesNotMatchSopClass, "no identifier", null, cancellationToken).ConfigureAwait(false);
            return null;
        }
        try
        {
            return await RetrieveAsync(association, request.Command.AffectedSopClassUid ?? request.Context.AbstractSyntax, identifier, cancellationToken).ConfigureAwait(false);
        }
        catch (DimseException ex)
        {
            Log.LogWarning("{Association}: {Field} failed: {Message}", association, request.Command.Field, ex.Message);
            await RespondAsync(association, request, ex.Status, ex.Message, null, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    private async Task RunSubOperationsAsync(DicomAssociation association, DimseMessage request, DicomAssociation target, IReadOnlyList<RetrieveItem> items,
        SubOperations counts, ushort? moveOriginatorMessageId, IReadOnlyList<string> compression, CancellationToken cancellationToken)
    {
        var originator = moveOriginatorMessageId != null ? association.CallingAe : null;
        var interval = PendingResponseInterval;
        var lastPending = System.Diagnostics.Stopwatch.StartNew();
        if (items.Count > 0 && await StoppedBeforeAsync(0).ConfigureAwait(false)) return;
        var done = 0;
        // A send in progress stops when the requesting association ends.
        await foreach (var sent in StoreSender.SendEachAsync(target, items, originator, moveOriginatorMessageId, association.Closed, compression).ConfigureAwait(false))
        {
            var result = sent.Status;
            if (sent.Error != null)
            {
                // A failure on our side or the peer's is a failed sub-operation (0110).
                Log.LogWarning("{Association}: sub-operation for {Sop} failed: {Message}", association, sent.Item.SopInstanceUid, sent.Error.Message);
                result = DimseStatus.ProcessingFailure;
            }
            else if (result == StoreSender.NoContext)
            {
                Log.LogWarning("{Association}: no accepted presentation context for {Sop} ({Ts})", association, sent.Item.SopInstanceUid, sent.Item.TransferSyntaxUid);
            }
            counts.Record(sent.Item, result);
            done++;
            if (done == items.Count) break;
            if (lastPending.Elapsed >= interval)
            {
                await RespondPendingAsync(association, request, counts).ConfigureAwait(false);
                lastPending.Restart();
            }
            if (await StoppedBeforeAsync(done).ConfigureAwait(false)) return;
        }
        await RespondFinalAsync(association, request, counts, CancellationToken.None).ConfigureAwait(false);

        // Before sub-operation i: after C-CANCEL, the final FE00 response counts what was not attempted as remaining
        // (PS3.4 C.4.2.1.5); with the destination gone, the rest fails.
        async Task<bool> StoppedBeforeAsync(int i)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                await RespondFinalAsync(association, request, counts, CancellationToken.None, DimseStatus.Cancel).ConfigureAwait(false);
                return true;
            }
            if (target.Closed.IsCancellationRequested)
            {
                counts.FailRemaining(items, i);
                await RespondFinalAsync(association, request, counts, CancellationToken.None, DimseStatus.OutOfResourcesSubOperations).ConfigureAwait(false);
                return true;
            }
            return false;
        }
    }

    private static Task RespondPendingAsync(DicomAssociation association, DimseMessage request, SubOperations counts)
    {
        var rsp = DimseCommand.ResponseTo(request.Command, DimseStatus.Pending);
        counts.Apply(rsp, final: false);
        return association.SendAsync(request.Context.Id, rsp, (byte[]?)null, CancellationToken.None);
    }

    /// <summary>
    /// The final C-MOVE/C-GET response (PS3.4 C.4.2.1.5, C.4.3.1.4): success when every sub-operation completed,
    /// B000 when some failed or warned, A702 when all failed; with a Failed SOP Instance UID List identifier.
    /// </summary>
    private static Task RespondFinalAsync(DicomAssociation association, DimseMessage request, SubOperations counts, CancellationToken cancellationToken, ushort? status = null)
    {
        var final = status ?? (counts.Failed == 0 && counts.Warning == 0 ? DimseStatus.Success : counts.Completed == 0 && counts.Warning == 0 ? DimseStatus.OutOfResourcesSubOperations : DimseStatus.SubOperationsWarning);
        DicomDataset? identifier = null;
        if (counts.FailedUids.Count > 0)
        {
            identifier = new DicomDataset();
            identifier.AddOrUpdate(DicomTags.FailedSOPInstanceUIDList, VR.UI, string.Join('\\', counts.FailedUids));
        }
        var rsp = DimseCommand.ResponseTo(request.Command, final);
        counts.Apply(rsp, final: final != DimseStatus.Cancel);
        return association.SendAsync(request.Context.Id, rsp, identifier == null ? null : Part10.WriteDataSet(identifier, request.TransferSyntaxUid), cancellationToken);
    }

    protected static Task RespondAsync(DicomAssociation association, DimseMessage request, ushort status, string? comment, DicomDataset? identifier, CancellationToken cancellationToken)
    {
        var rsp = DimseCommand.ResponseTo(request.Command, status);
        if (comment != null && DimseStatus.IsFailure(status)) rsp.ErrorComment = comment;
        var data = identifier == null ? null : Part10.WriteDataSet(identifier, request.TransferSyntaxUid);
        return association.SendAsync(request.Context.Id, rsp, data, cancellationToken);
    }

    private DicomDataset? ReadIdentifier(DimseMessage request)
    {
        try
        {
            return request.ReadDataSet();
        }
        catch (DicomParseException ex)
        {
            Log.LogWarning("{Field}: identifier cannot be parsed: {Message}", request.Command.Field, ex.Message);
            return null;
        }
    }

    private sealed class ProposalComparer : IEqualityComparer<(string, IReadOnlyList<string>)>
    {
        public bool Equals((string, IReadOnlyList<string>) x, (string, IReadOnlyList<string>) y) => x.Item1 == y.Item1 && x.Item2.SequenceEqual(y.Item2);
        public int GetHashCode((string, IReadOnlyList<string>) obj) => HashCode.Combine(obj.Item1, obj.Item2.Count, obj.Item2[0]);
    }
}
