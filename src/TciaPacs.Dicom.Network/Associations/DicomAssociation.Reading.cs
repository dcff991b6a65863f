using Microsoft.Extensions.Logging;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

public sealed partial class DicomAssociation
{
    private PduStreamReader? _reader;

    /// <summary>Sta6 onwards: each PDU type is one event of the PS3.8 9.2 state table (Evt10 P-DATA-TF, Evt12 A-RELEASE-RQ, Evt13 A-RELEASE-RP, Evt16 A-ABORT; Evt3-7 and Evt19 unexpected or invalid here).</summary>
    private async Task ReadLoopAsync()
    {
        _reader ??= new PduStreamReader(_stream, _options);
        _reader.ReplyPoll = _replyPoll;
        // Only while a request of ours awaits its response: a reply is then due (a C-STORE-RSP within a few tenths of a
        // millisecond); a peer's next request may be minutes away.
        _reader.ReplyDueSince = () => Volatile.Read(ref _requestsAwaitingResponse) == 0 ? null : Interlocked.Read(ref _lastSendTimestamp);
        var assembler = new MessageAssembler(this);
        try
        {
            while (true)
            {
                var next = await _reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                if (next is not { } pdu)
                {
                    // AA-4/AA-5: transport closed. Normal in Sta13; anywhere else the peer went away without releasing.
                    if (State != AssociationState.Sta13AwaitingClose && _endReason == null)
                    {
                        _endReason = "connection closed by the peer without release";
                        _log.LogWarning("{Association}: {Reason}", this, _endReason);
                    }
                    return;
                }
                Touch();
                try
                {
                    if (!await OnPduAsync(pdu, assembler).ConfigureAwait(false)) return;
                }
                finally
                {
                    pdu.Return();
                }
            }
        }
        catch (PduException ex)
        {
            _log.LogWarning("{Association}: protocol error, aborting: {Message}", this, ex.Message);
            await AbortAsync("protocol error: " + ex.Message, ex.AbortReason).ConfigureAwait(false);
        }
        catch (DimseException ex)
        {
            _log.LogWarning("{Association}: malformed DIMSE message, aborting: {Message}", this, ex.Message);
            await AbortAsync("malformed DIMSE message: " + ex.Message, AbortPdu.InvalidPduParameterValue).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            if (_endReason == null)
            {
                _endReason = "connection lost: " + ex.Message;
                _log.LogWarning("{Association}: {Reason}", this, _endReason);
            }
        }
        finally
        {
            // A data set cut off mid-way leaves nothing behind (its spool file is deleted).
            assembler.Dispose();
            _requests.Writer.TryComplete();
            if (State != AssociationState.Sta8AwaitingLocalReleaseResponse) _closed.Cancel();
        }
    }

    /// <summary>One PDU in Sta6/Sta7/Sta8/Sta13; false when the association is over.</summary>
    private async Task<bool> OnPduAsync(PduStreamReader.RawPdu pdu, MessageAssembler assembler)
    {
        switch (pdu.Type)
        {
            case PduType.DataTransfer when State is AssociationState.Sta6Established or AssociationState.Sta7AwaitingReleaseResponse:
                foreach (var pdv in PduReader.ParseData(pdu.Memory))
                    if (assembler.Add(pdv) is { } message) Dispatch(message);
                return true;
            case PduType.ReleaseRequest when State == AssociationState.Sta6Established:
                // AR-2: indicate the release; the reply (AR-4) goes out once the operations in progress are done.
                State = AssociationState.Sta8AwaitingLocalReleaseResponse;
                _requests.Writer.TryComplete();
                return true;
            case PduType.ReleaseRequest when State == AssociationState.Sta7AwaitingReleaseResponse:
                // Release collision (PS3.8 9.2.2, Sta9-12) collapsed: both sides want out; answer and close.
                await WriteRawAsync(PduWriter.ReleaseResponse(), CancellationToken.None).ConfigureAwait(false);
                return true;
            case PduType.ReleaseResponse when State == AssociationState.Sta7AwaitingReleaseResponse:
                _endReason ??= "released";
                _released.TrySetResult();
                return false;
            case PduType.Abort:
                var abort = PduReader.ParseAbort(pdu.Body);
                _endReason ??= $"aborted by the peer ({abort})";
                _log.LogInformation("{Association}: A-ABORT received ({Abort})", this, abort);
                return false;
            case PduType.DataTransfer when State is AssociationState.Sta8AwaitingLocalReleaseResponse or AssociationState.Sta13AwaitingClose:
                // PS3.8 Sta13 Evt10: ignore late data after our release answer (AA-6).
                return true;
            default:
                throw new PduException($"unexpected {pdu.Type} PDU in {State}", AbortPdu.UnexpectedPdu);
        }
    }

    private void Dispatch(DimseMessage message)
    {
        var command = message.Command;
        if (command.Field == CommandField.CCancelRequest)
        {
            if (_inProgress.TryGetValue(command.MessageIdBeingRespondedTo, out var cts))
            {
                _log.LogInformation("{Association}: C-CANCEL for message {Id}", this, command.MessageIdBeingRespondedTo);
                try { cts.Cancel(); } catch (ObjectDisposedException) { }
            }
            message.Dispose();
        }
        else if (command.IsResponse)
        {
            if (_awaiting.TryGetValue(command.MessageIdBeingRespondedTo, out var channel)) channel.Writer.TryWrite(message);
            else
            {
                _log.LogWarning("{Association}: response to unknown message {Id} ignored", this, command.MessageIdBeingRespondedTo);
                message.Dispose();
            }
        }
        else
        {
            // The channel runs a waiting request loop inside this call (synchronous continuations); it tells that case
            // apart by this thread (ProcessRequestsAsync).
            _readLoopThread = Environment.CurrentManagedThreadId;
            try
            {
                if (!_requests.Writer.TryWrite(message)) message.Dispose();
            }
            finally
            {
                _readLoopThread = 0;
            }
        }
    }
}
