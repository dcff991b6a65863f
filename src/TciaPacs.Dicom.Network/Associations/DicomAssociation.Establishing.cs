using Microsoft.Extensions.Logging;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

public sealed partial class DicomAssociation
{
    /// <summary>
    /// Acceptor side of establishment (PS3.8 9.2, Sta2 → Sta3 → Sta6): waits (ARTIM) for the A-ASSOCIATE-RQ, asks
    /// <paramref name="negotiate"/> for an AC or an RJ, sends it. Null when there is no association (rejected, aborted,
    /// timed out, garbage), each case logged once; the transport is then closed.
    /// </summary>
    public static async Task<DicomAssociation?> AcceptAsync(Stream stream, string remote, AssociationOptions options,
        Func<AssociateRequest, AssociateRequest, AssociateRequest?> negotiate, Func<AssociateRequest, AssociateReject?> screen, ILogger log, CancellationToken cancellationToken)
    {
        var reader = new PduStreamReader(stream, options);
        PduStreamReader.RawPdu? first;
        using (var artim = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            artim.CancelAfter(options.ArtimTimeout);
            try
            {
                first = await reader.ReadAsync(artim.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                log.LogWarning("{Remote}: no A-ASSOCIATE-RQ within the ARTIM timeout ({Seconds:F0} s): closing", remote, options.ArtimTimeout.TotalSeconds);
                await stream.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            catch (PduException ex)
            {
                log.LogWarning("{Remote}: not a DICOM association request ({Message}): A-ABORT and close", remote, ex.Message);
                await AbortAndCloseAsync(stream, ex.AbortReason).ConfigureAwait(false);
                return null;
            }
            catch (Exception ex) when (ex is IOException or EndOfStreamException or System.Net.Sockets.SocketException)
            {
                log.LogWarning("{Remote}: connection lost before association: {Message}", remote, ex.Message);
                await stream.DisposeAsync().ConfigureAwait(false);
                return null;
            }
        }
        if (first is not { } pdu)
        {
            log.LogInformation("{Remote}: connection closed without an association request", remote);
            await stream.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        if (pdu.Type == PduType.Abort)
        {
            // PS3.8 Table 9-10, Sta2 Evt16 (AA-2): an A-ABORT before any association is answered by closing, not by another A-ABORT.
            log.LogWarning("{Remote}: A-ABORT instead of an association request: closing", remote);
            pdu.Return();
            await stream.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        AssociateRequest request;
        try
        {
            if (pdu.Type != PduType.AssociateRequest) throw new PduException($"{pdu.Type} PDU where A-ASSOCIATE-RQ was expected", AbortPdu.UnexpectedPdu);
            request = PduReader.ParseAssociate(pdu.Body, isAccept: false);
        }
        catch (PduException ex)
        {
            log.LogWarning("{Remote}: invalid association request ({Message}): A-ABORT and close", remote, ex.Message);
            await AbortAndCloseAsync(stream, ex.AbortReason).ConfigureAwait(false);
            return null;
        }
        finally
        {
            pdu.Return();
        }

        // PS3.8 9.3.2: bit 0 of the protocol version must be set; PS3.7 A.2.1: one application context name.
        var reject = (request.ProtocolVersion & 1) == 0 ? new AssociateReject(AssociateReject.Permanent, AssociateReject.SourceProviderAcse, AssociateReject.ProtocolVersionNotSupported)
            : request.ApplicationContext != AssociateRequest.DicomApplicationContext ? new AssociateReject(AssociateReject.Permanent, AssociateReject.SourceUser, AssociateReject.ApplicationContextNotSupported)
            : screen(request);
        var ours = new UserInformation { MaxPduLength = options.MaxPduLength };
        var accept = reject == null ? negotiate(request, new AssociateRequest { CalledAe = request.CalledAe, CallingAe = request.CallingAe, UserInformation = ours }) : null;
        if (accept == null)
        {
            reject ??= new AssociateReject(AssociateReject.Permanent, AssociateReject.SourceUser, AssociateReject.NoReasonGiven);
            log.LogWarning("{Remote}: association {Calling}->{Called} rejected: {Reason}", remote, request.CallingAe, request.CalledAe, reject.Describe());
            try
            {
                await stream.WriteAsync(PduWriter.Reject(reject), cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                await AwaitCloseAfterRejectAsync(stream, reader, options, remote, log, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.Sockets.SocketException)
            {
            }
            await stream.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        try
        {
            await stream.WriteAsync(PduWriter.Associate(accept, isAccept: true), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            log.LogWarning("{Remote}: connection lost while accepting: {Message}", remote, ex.Message);
            await stream.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        return new DicomAssociation(stream, options, log, isRequestor: false, request, accept, remote) { _reader = reader };
    }

    /// <summary>
    /// Sta13 after an A-ASSOCIATE-RJ (PS3.8 Table 9-10): the requestor is to close the transport (Evt17, AR-5) and ARTIM
    /// bounds the wait (Evt18, AA-2). A PDU meanwhile is ignored (AA-6), but an A-ASSOCIATE-RQ or an unrecognized or
    /// invalid PDU (Evt6, Evt19) is answered with an A-ABORT (AA-7); an A-ABORT (Evt16) ends the wait (AA-2). After an
    /// invalid PDU the byte stream cannot be followed any more: what else comes is read and dropped until the close.
    /// </summary>
    private static async Task AwaitCloseAfterRejectAsync(Stream stream, PduStreamReader reader, AssociationOptions options, string remote, ILogger log, CancellationToken cancellationToken)
    {
        using var artim = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        artim.CancelAfter(options.ArtimTimeout);
        while (true)
        {
            PduStreamReader.RawPdu? next;
            try
            {
                next = await reader.ReadAsync(artim.Token).ConfigureAwait(false);
            }
            catch (PduException ex)
            {
                log.LogWarning("{Remote}: {Message} after the association was rejected: A-ABORT", remote, ex.Message);
                await stream.WriteAsync(PduWriter.Abort(new AbortPdu(AbortPdu.SourceProvider, ex.AbortReason)), artim.Token).ConfigureAwait(false);
                await stream.FlushAsync(artim.Token).ConfigureAwait(false);
                var sink = new byte[4096];
                while (await stream.ReadAsync(sink, artim.Token).ConfigureAwait(false) > 0) { }
                return;
            }
            if (next is not { } pdu) return;
            var type = pdu.Type;
            pdu.Return();
            switch (type)
            {
                case PduType.Abort:
                    return;
                case PduType.AssociateRequest:
                    log.LogWarning("{Remote}: another A-ASSOCIATE-RQ after the association was rejected: A-ABORT", remote);
                    await stream.WriteAsync(PduWriter.Abort(new AbortPdu(AbortPdu.SourceProvider, AbortPdu.UnexpectedPdu)), artim.Token).ConfigureAwait(false);
                    await stream.FlushAsync(artim.Token).ConfigureAwait(false);
                    break;
                default:
                    log.LogDebug("{Remote}: {Type} PDU after the association was rejected: ignored", remote, type);
                    break;
            }
        }
    }

    /// <summary>
    /// Requestor side (PS3.8 9.2, Sta4 → Sta5 → Sta6): sends the A-ASSOCIATE-RQ, waits (ARTIM) for the answer.
    /// Throws <see cref="AssociationRejectedException"/> on A-ASSOCIATE-RJ.
    /// </summary>
    public static async Task<DicomAssociation> RequestAsync(Stream stream, string remote, AssociateRequest request, AssociationOptions options, ILogger log, CancellationToken cancellationToken)
    {
        var reader = new PduStreamReader(stream, options);
        await stream.WriteAsync(PduWriter.Associate(request, isAccept: false), cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        PduStreamReader.RawPdu? answer;
        using (var artim = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            artim.CancelAfter(options.ArtimTimeout);
            try
            {
                answer = await reader.ReadAsync(artim.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw new AssociationAbortedException($"{remote}: no answer to A-ASSOCIATE-RQ within {options.ArtimTimeout.TotalSeconds:F0} s");
            }
            catch (PduException ex)
            {
                await AbortAndCloseAsync(stream, ex.AbortReason).ConfigureAwait(false);
                throw new AssociationAbortedException($"{remote}: invalid answer to A-ASSOCIATE-RQ: {ex.Message}", ex);
            }
        }
        if (answer is not { } pdu)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw new AssociationAbortedException($"{remote}: the connection closed before the association was answered");
        }
        try
        {
            switch (pdu.Type)
            {
                case PduType.AssociateAccept:
                    var ac = PduReader.ParseAssociate(pdu.Body, isAccept: true);
                    var contexts = ac.PresentationContexts.Select(pc => pc with { AbstractSyntax = request.FindContext(pc.Id)?.AbstractSyntax ?? "" }).ToList();
                    ac = ac with { PresentationContexts = contexts, CalledAe = request.CalledAe, CallingAe = request.CallingAe };
                    return new DicomAssociation(stream, options, log, isRequestor: true, request, ac, remote) { _reader = reader };
                case PduType.AssociateReject:
                    var rj = PduReader.ParseReject(pdu.Body);
                    await stream.DisposeAsync().ConfigureAwait(false);
                    throw new AssociationRejectedException(rj);
                case PduType.Abort:
                    await stream.DisposeAsync().ConfigureAwait(false);
                    throw new AssociationAbortedException($"{remote}: A-ABORT in answer to A-ASSOCIATE-RQ ({PduReader.ParseAbort(pdu.Body)})");
                default:
                    throw new PduException($"{pdu.Type} PDU in answer to A-ASSOCIATE-RQ", AbortPdu.UnexpectedPdu);
            }
        }
        catch (PduException ex)
        {
            await AbortAndCloseAsync(stream, ex.AbortReason).ConfigureAwait(false);
            throw new AssociationAbortedException($"{remote}: {ex.Message}", ex);
        }
        finally
        {
            pdu.Return();
        }
    }

    private static async Task AbortAndCloseAsync(Stream stream, byte reason)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await stream.WriteAsync(PduWriter.Abort(new AbortPdu(AbortPdu.SourceProvider, reason)), timeout.Token).ConfigureAwait(false);
            await stream.FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
        await stream.DisposeAsync().ConfigureAwait(false);
    }
}
