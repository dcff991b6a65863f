using Microsoft.Extensions.Logging;
using TciaPacs.Archive;
using TciaPacs.Archive.Storage;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;
using TciaPacs.Server.Hosting;

namespace TciaPacs.Server.Dimse;

/// <summary>
/// Storage Commitment Push Model as SCP (PS3.4 Annex J), as IHE's Image Manager (RAD-10): an N-ACTION-RQ asks whether
/// the archive holds a list of instances; it is answered at once, and the result goes back in an N-EVENT-REPORT-RQ on a
/// new association to the requesting AE (a known peer), in which we take the SCP role by role selection (J.3.3), as
/// Orthanc and dcm4chee do. An instance counts as committed when it is in the catalog under its own UID or under the
/// pseudonym de-identification gave it in the called AE's collection, or in quarantine (held, not public), with the SOP
/// class named; every acknowledged C-STORE is already durable, so nothing is waited for.
/// </summary>
internal sealed class StorageCommitment(DicomArchive archive, ServerOptions options, ILogger log)
{
    /// <summary>Failure Reason (0008,1197) values of PS3.4 J.3.2.1.1.3 / C.14.</summary>
    private const ushort NoSuchObjectInstance = 0x0112, ClassInstanceConflict = 0x0119, ProcessingFailure = 0x0110;

    public sealed record Reference(string SopClassUid, string SopInstanceUid);

    /// <summary>Parses the N-ACTION-RQ data set: Transaction UID and Referenced SOP Sequence (PS3.4 J.3.2.1.1.2).</summary>
    public static (string TransactionUid, List<Reference> References)? Parse(DicomDataset data)
    {
        var transaction = data.GetString(DicomTags.TransactionUID)?.Trim('\0', ' ');
        if (string.IsNullOrEmpty(transaction) || data.Get(DicomTags.ReferencedSOPSequence) is not DicomSequence sequence) return null;
        var references = new List<Reference>();
        foreach (var item in sequence.Items)
        {
            var cls = item.GetString(DicomTags.ReferencedSOPClassUID)?.Trim('\0', ' ');
            var inst = item.GetString(DicomTags.ReferencedSOPInstanceUID)?.Trim('\0', ' ');
            if (string.IsNullOrEmpty(cls) || string.IsNullOrEmpty(inst)) return null;
            references.Add(new Reference(cls, inst));
        }
        return references.Count == 0 ? null : (transaction, references);
    }

    /// <summary>Which references the archive holds, and the failure reason of the others.</summary>
    public (List<Reference> Committed, List<(Reference Reference, ushort Reason)> Failed) Check(string collection, IEnumerable<Reference> references)
    {
        var committed = new List<Reference>();
        var failed = new List<(Reference, ushort)>();
        // The pseudonym map exists only where a collection de-identifies: opened only then.
        var map = options.Deidentification.For(collection).Deidentifies ? StoreFilters.PseudonymMap(options.DataDirectory) : null;
        foreach (var reference in references)
        {
            try
            {
                var replacement = map?.FindReplacementUid(collection, reference.SopInstanceUid);
                var path = StoredPath(reference.SopInstanceUid) ?? (replacement != null ? StoredPath(replacement) : null);
                if (path == null)
                {
                    failed.Add((reference, NoSuchObjectInstance));
                    continue;
                }
                // The stored SOP class must be the one named (J.3.2.1.1.3: class/instance conflict otherwise).
                var cls = DicomFile.Open(path, DicomReadOptions.HeaderOnly).Dataset.GetString(DicomTags.SOPClassUID)?.Trim('\0', ' ');
                if (cls == reference.SopClassUid) committed.Add(reference);
                else failed.Add((reference, ClassInstanceConflict));
            }
            catch (Exception ex) when (ex is IOException or DicomParseException or UnauthorizedAccessException)
            {
                log.LogWarning("Storage commitment: {SopInstanceUid} cannot be checked: {Message}", reference.SopInstanceUid, ex.Message);
                failed.Add((reference, ProcessingFailure));
            }
        }
        return (committed, failed);
    }

    /// <summary>The file of an instance in the catalog, or held in quarantine; null when the archive does not have it.</summary>
    private string? StoredPath(string sopInstanceUid)
    {
        if (archive.Catalog.FindInstance(sopInstanceUid) is { } stored) return Path.Combine(archive.Files.Root, stored.RelativePath);
        var quarantined = Path.Combine(archive.Files.QuarantineRoot, FileStore.HashUid(sopInstanceUid) + FileStore.FileSuffix);
        return File.Exists(quarantined) ? quarantined : null;
    }

    /// <summary>
    /// Sends the result to <paramref name="peer"/> in an N-EVENT-REPORT-RQ: event type 1 when every instance is
    /// committed, 2 when some are not (J.3.3.1). A peer that cannot be reached is tried three times, a few seconds apart.
    /// </summary>
    public async Task ReportAsync(string ourAe, ServerOptions.DimsePeer peer, string transactionUid, List<Reference> committed, List<(Reference Reference, ushort Reason)> failed, CancellationToken cancellationToken)
    {
        var (data, eventType) = Report(transactionUid, committed, failed);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var request = new AssociateRequest
                {
                    CalledAe = peer.AeTitle, CallingAe = ourAe,
                    PresentationContexts = DicomClient.Propose([(SopClasses.StorageCommitmentPushModel, [TransferSyntax.ExplicitVRLittleEndian.Uid, TransferSyntax.ImplicitVRLittleEndian.Uid])]),
                    UserInformation = new UserInformation { RoleSelections = [new RoleSelection(SopClasses.StorageCommitmentPushModel, ScuRole: false, ScpRole: true)] },
                };
                await using var client = await DicomClient.ConnectAsync(peer.Host, peer.Port, request, DimseHost.AssociationOptions(options), log: log, cancellationToken: cancellationToken).ConfigureAwait(false);
                var association = client.Association;
                var context = association.AcceptedContexts(SopClasses.StorageCommitmentPushModel).FirstOrDefault()
                    ?? throw new DimseException($"{peer.AeTitle} accepted no presentation context for Storage Commitment", DimseStatus.SopClassNotSupported);
                var status = await SendReportAsync(association, context, data, eventType, cancellationToken).ConfigureAwait(false);
                await client.ReleaseAsync(cancellationToken).ConfigureAwait(false);
                log.LogInformation("Storage commitment {TransactionUid} reported to {Peer}: {Committed} committed, {Failed} failed (event type {EventType}), N-EVENT-REPORT status {Status:X4}",
                    transactionUid, peer.AeTitle, committed.Count, failed.Count, eventType, status);
                return;
            }
            catch (Exception ex) when (attempt < 3 && ex is not OperationCanceledException)
            {
                log.LogWarning("Storage commitment {TransactionUid}: reporting to {Peer} at {Host}:{Port} failed (attempt {Attempt} of 3): {Message}", transactionUid, peer.AeTitle, peer.Host, peer.Port, attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2 * attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                log.LogError("Storage commitment {TransactionUid}: could not report to {Peer} at {Host}:{Port}: {Message}. The requester will have to ask again.", transactionUid, peer.AeTitle, peer.Host, peer.Port, ex.Message);
                return;
            }
        }
    }

    /// <summary>
    /// Sends the result on the requesting association, when the requester keeps it open to wait for the report (PS3.4
    /// J.3.3 allows either association; a requester behind a firewall or NAT cannot be called back). False when the
    /// association closed first or gave no answer in time: the caller then reports on a new association.
    /// </summary>
    public async Task<bool> TryReportOnAsync(DicomAssociation association, PresentationContext context, string transactionUid, List<Reference> committed,
        List<(Reference Reference, ushort Reason)> failed, TimeSpan timeout)
    {
        if (association.Closed.IsCancellationRequested) return false;
        var (data, eventType) = Report(transactionUid, committed, failed);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(association.Closed);
        cts.CancelAfter(timeout);
        try
        {
            var status = await SendReportAsync(association, context, data, eventType, cts.Token).ConfigureAwait(false);
            log.LogInformation("{Association}: storage commitment {TransactionUid} reported on the requesting association: {Committed} committed, {Failed} failed (event type {EventType}), N-EVENT-REPORT status {Status:X4}",
                association, transactionUid, committed.Count, failed.Count, eventType, status);
            return true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or AssociationAbortedException or IOException or InvalidOperationException)
        {
            log.LogInformation("{Association}: storage commitment {TransactionUid}: not reported on the requesting association ({Message}); calling back", association, transactionUid, ex.Message);
            return false;
        }
    }

    private static (DicomDataset Data, ushort EventType) Report(string transactionUid, List<Reference> committed, List<(Reference Reference, ushort Reason)> failed)
    {
        var data = new DicomDataset();
        data.AddOrUpdate(DicomTags.TransactionUID, VR.UI, transactionUid);
        if (committed.Count > 0)
            data.AddOrUpdate(DicomTags.ReferencedSOPSequence, committed.Select(r => ReferenceItem(r, null)).ToArray());
        if (failed.Count > 0)
            data.AddOrUpdate(DicomTags.FailedSOPSequence, failed.Select(f => ReferenceItem(f.Reference, f.Reason)).ToArray());
        return (data, (ushort)(failed.Count == 0 ? 1 : 2));
    }

    /// <summary>The N-EVENT-REPORT-RQ (J.3.3.1) on an association; the status of its response.</summary>
    private static async Task<ushort> SendReportAsync(DicomAssociation association, PresentationContext context, DicomDataset data, ushort eventType, CancellationToken cancellationToken)
    {
        var command = DimseCommand.Request(CommandField.NEventReportRequest, association.NextMessageId(), SopClasses.StorageCommitmentPushModel, hasDataSet: true);
        command.AffectedSopInstanceUid = SopClasses.StorageCommitmentPushModelInstance;
        command.EventTypeId = eventType;
        var bytes = Part10.WriteDataSet(data, context.AcceptedTransferSyntax!);
        ushort? status = null;
        await foreach (var response in association.SendRequestAsync(context.Id, command, (s, ct) => s.WriteAsync(bytes, ct).AsTask(), cancellationToken).ConfigureAwait(false))
            using (response) status = response.Command.Status;
        return status ?? throw new AssociationAbortedException("no N-EVENT-REPORT-RSP");
    }

    /// <summary>An item of Referenced SOP Sequence or, with a reason, of Failed SOP Sequence (PS3.4 J.3.2.1.1.2, J.3.3.1.1).</summary>
    public static DicomDataset ReferenceItem(Reference reference, ushort? reason)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.ReferencedSOPClassUID, VR.UI, reference.SopClassUid);
        item.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, VR.UI, reference.SopInstanceUid);
        if (reason is { } r) item.AddOrUpdate(DicomTags.FailureReason, VR.US, r);
        return item;
    }
}
