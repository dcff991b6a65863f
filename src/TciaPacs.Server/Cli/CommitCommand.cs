using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;
using TciaPacs.Server.Dimse;

namespace TciaPacs.Server.Cli;

/// <summary>
/// <c>tciapacs commit HOST PORT FILE|DIR... [--listen PORT | --same-association]</c>: asks a peer to commit to storing
/// the instances of these files (Storage Commitment Push Model as SCU, PS3.4 J.3: N-ACTION-RQ), then waits for its
/// N-EVENT-REPORT-RQ on an association the peer opens to us on the listening port (the peer must know our AE title,
/// this host and that port), or, with <c>--same-association</c>, on the requesting association, kept open for it (a
/// site that cannot be called back, behind a firewall or NAT; the peer must report there, as we and dcm4chee do).
/// Prints each instance's answer. Exit status 0 when every instance is committed, 1 otherwise.
/// </summary>
internal static class CommitCommand
{
    public static Command Create()
    {
        var host = ScuOptions.Host();
        var port = ScuOptions.Port();
        var paths = new Argument<string[]>("paths") { Arity = ArgumentArity.OneOrMore, Description = "Files or folders (recursively) whose instances the peer should have stored" };
        var aet = ScuOptions.CallingAe();
        var aec = ScuOptions.CalledAe();
        var timeout = ScuOptions.Timeout();
        var listen = new Option<int>("--listen") { Description = "Port on which the peer's report (N-EVENT-REPORT) is received; the peer must know our AE title, this host and this port", DefaultValueFactory = _ => 11113 };
        var wait = new Option<int>("--wait") { Description = "Seconds to wait for the report", DefaultValueFactory = _ => 60 };
        var same = new Option<bool>("--same-association") { Description = "Wait for the report on the requesting association instead of listening (for a site the peer cannot call back)" };
        var identity = ScuOptions.Identity();
        var command = new Command("commit", "Ask a peer to commit to storing files sent to it (Storage Commitment), and wait for its report")
        {
            host, port, paths, aet, aec, timeout, listen, wait, same, identity.User, identity.Password,
        };
        command.SetAction(parse => ScuOptions.Run(ct => RunAsync(parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(paths)!, parse.GetValue(aet)!, parse.GetValue(aec)!,
            parse.GetValue(timeout), parse.GetValue(same) ? null : parse.GetValue(listen), parse.GetValue(wait), ScuOptions.IdentityOf(parse, identity), ct)));
        return command;
    }

    /// <param name="listenPort">Where the report is received; null: on the requesting association.</param>
    private static async Task<int> RunAsync(string host, int port, string[] paths, string aet, string aec, int timeout, int? listenPort, int waitSeconds,
        UserIdentity? identity, CancellationToken ct)
    {
        var references = new List<(string Class, string Instance)>();
        foreach (var f in ScuOptions.Files(paths))
        {
            try
            {
                var ds = DicomFile.Open(f, DicomReadOptions.HeaderOnly).Dataset;
                var cls = ds.GetString(DicomTags.SOPClassUID)?.Trim('\0', ' ');
                var inst = ds.GetString(DicomTags.SOPInstanceUID)?.Trim('\0', ' ');
                if (string.IsNullOrEmpty(cls) || string.IsNullOrEmpty(inst)) Console.Error.WriteLine($"warning: {f}: no SOP Class or SOP Instance UID; left out");
                else references.Add((cls, inst));
            }
            catch (Exception ex) when (ex is DicomParseException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"warning: {f}: {ex.Message} (left out)");
            }
        }
        if (references.Count == 0)
        {
            Console.Error.WriteLine("error: no DICOM instance among the files given");
            return 1;
        }
        var transactionUid = DicomUids.Generate();
        var report = new TaskCompletionSource<(ushort EventType, DicomDataset Data)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var receiver = new ReportReceiver(transactionUid, report);
        var natives = SopClasses.Native.ToHashSet(StringComparer.Ordinal);
        var policy = new NegotiationPolicy { TransferSyntaxesFor = uid => uid == SopClasses.StorageCommitmentPushModel ? natives : null };
        await using var listener = listenPort is { } listening
            ? DicomServer.Start(new DicomServerOptions { Address = IPAddress.Any, Port = listening, MaxAssociations = 4, Association = ScuOptions.Association(timeout) },
                policy, _ => null, receiver, NullLogger.Instance)
            : null;

        var contexts = DicomClient.Propose([(SopClasses.StorageCommitmentPushModel, SopClasses.Native)]);
        await using (var client = await DicomClient.ConnectAsync(host, port, ScuOptions.Request(aet, aec, contexts, identity: identity), ScuOptions.Association(timeout),
            handler: listenPort == null ? receiver : null, cancellationToken: ct))
        {
            var association = client.Association;
            var context = association.AcceptedContexts(SopClasses.StorageCommitmentPushModel).FirstOrDefault();
            if (context == null)
            {
                Console.Error.WriteLine($"error: {aec} does not accept the Storage Commitment Push Model");
                return 1;
            }
            var data = new DicomDataset();
            data.AddOrUpdate(DicomTags.TransactionUID, VR.UI, transactionUid);
            data.AddOrUpdate(DicomTags.ReferencedSOPSequence, references.Select(r => StorageCommitment.ReferenceItem(new(r.Class, r.Instance), null)).ToArray());
            var bytes = Part10.WriteDataSet(data, context.AcceptedTransferSyntax!);
            var action = new DimseCommand(CommandField.NActionRequest)
            {
                MessageId = association.NextMessageId(), HasDataSet = true, RequestedSopClassUid = SopClasses.StorageCommitmentPushModel,
                RequestedSopInstanceUid = SopClasses.StorageCommitmentPushModelInstance, ActionTypeId = 1,
            };
            DimseCommand? response = null;
            await foreach (var rsp in association.SendRequestAsync(context.Id, action, (s, token) => s.WriteAsync(bytes, token).AsTask(), ct))
                using (rsp) response = rsp.Command;
            if (response is not { Status: DimseStatus.Success })
            {
                await client.ReleaseAsync(ct);
                Console.Error.WriteLine($"error: {aec} refused the request: status {ScuOptions.Status(response?.Status ?? 0xFFFF)}{(response?.ErrorComment is { } c ? ": " + c : "")}");
                return 1;
            }
            if (listenPort == null)
            {
                Console.Error.WriteLine($"Storage commitment {transactionUid} of {references.Count} instances accepted by {aec}; waiting up to {waitSeconds} s for its report on this association...");
                await Task.WhenAny(report.Task, Task.Delay(TimeSpan.FromSeconds(waitSeconds), ct), Task.Delay(Timeout.Infinite, association.Closed));
            }
            if (!association.Closed.IsCancellationRequested) await client.ReleaseAsync(ct);
        }
        if (listenPort != null)
        {
            Console.Error.WriteLine($"Storage commitment {transactionUid} of {references.Count} instances accepted by {aec}; waiting up to {waitSeconds} s for its report on port {listenPort} (AE {aet})...");
            await Task.WhenAny(report.Task, Task.Delay(TimeSpan.FromSeconds(waitSeconds), ct));
        }
        if (!report.Task.IsCompleted)
        {
            Console.Error.WriteLine(listenPort != null
                ? $"error: no report from {aec} within {waitSeconds} s. Does it know AE {aet} at this host, port {listenPort}?"
                : $"error: no report from {aec} on the association within {waitSeconds} s. It may report only on a new association: use --listen PORT.");
            return 1;
        }
        var (eventType, result) = await report.Task;
        var committed = Items(result, DicomTags.ReferencedSOPSequence).ToList();
        var failed = Items(result, DicomTags.FailedSOPSequence).ToList();
        foreach (var (_, instance, _) in committed) Console.WriteLine($"committed {instance}");
        foreach (var (_, instance, reason) in failed) Console.WriteLine($"failed    {instance} (reason {ScuOptions.Status(reason ?? 0)}{Describe(reason)})");
        var unanswered = references.Count - committed.Count - failed.Count;
        Console.WriteLine($"{committed.Count} committed, {failed.Count} failed{(unanswered != 0 ? $", {unanswered} not answered" : "")} (event type {eventType})");
        return failed.Count == 0 && unanswered == 0 && eventType == 1 ? 0 : 1;
    }

    private static string Describe(ushort? reason) => reason switch
    {
        0x0110 => ": processing failure",
        0x0112 => ": no such object instance",
        0x0119 => ": class/instance conflict",
        0x0122 => ": referenced SOP class not supported",
        0x0131 => ": duplicate transaction UID",
        _ => "",
    };

    private static IEnumerable<(string? Class, string? Instance, ushort? Reason)> Items(DicomDataset data, DicomTag sequence) =>
        data.Get(sequence) is DicomSequence sq
            ? sq.Items.Select(i => (i.GetString(DicomTags.ReferencedSOPClassUID)?.Trim('\0', ' '), i.GetString(DicomTags.ReferencedSOPInstanceUID)?.Trim('\0', ' '),
                i.GetInts(DicomTags.FailureReason) is { Length: > 0 } r ? (ushort?)r[0] : null))
            : [];

    /// <summary>Answers the peer's N-EVENT-REPORT-RQ and hands over the report of our transaction.</summary>
    private sealed class ReportReceiver(string transactionUid, TaskCompletionSource<(ushort EventType, DicomDataset Data)> report) : IDimseRequestHandler
    {
        public async Task HandleAsync(DicomAssociation association, DimseMessage request, CancellationToken cancellationToken)
        {
            if (request.Command.Field != CommandField.NEventReportRequest)
            {
                await association.SendAsync(request.Context.Id, DimseCommand.ResponseTo(request.Command, DimseStatus.UnrecognizedOperation), (byte[]?)null, cancellationToken);
                return;
            }
            DicomDataset? data = null;
            try { data = request.ReadDataSet(); }
            catch (DicomParseException) { }
            await association.SendAsync(request.Context.Id, DimseCommand.ResponseTo(request.Command, data == null ? DimseStatus.ProcessingFailure : DimseStatus.Success), (byte[]?)null, cancellationToken);
            if (data?.GetString(DicomTags.TransactionUID)?.Trim('\0', ' ') == transactionUid)
                report.TrySetResult((request.Command.EventTypeId ?? 0, data));
        }
    }
}
