using System.Runtime.CompilerServices;
using System.Threading.Channels;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

public sealed partial class DicomAssociation
{
    internal string TempDirectory => _options.TempDirectory;
    internal Services.IPixelDataDecoder? PixelDataDecoder => _options.PixelDataDecoder;
    internal Services.IPixelDataEncoder? PixelDataEncoder => _options.PixelDataEncoder;
    internal int MaxInMemoryDataSet => _options.MaxInMemoryDataSet;
    internal System.IO.Hashing.NonCryptographicHashAlgorithm? NewDataSetHash() => _options.DataSetHash?.Invoke(this);

    internal bool WritesBackSpool() => _options.SpoolWriteback?.Invoke(this) == true;

    /// <summary>
    /// Data bytes per PDV: the peer's maximum P-DATA-TF length less the PDV item header (PS3.8 9.3.5.1), within our own
    /// cap, rounded down to even: every fragment of an even-length value is then even, as dcmtk requires of each.
    /// </summary>
    private int MaxPdvData
    {
        get
        {
            long limit = PeerMaxPduLength == 0 ? 1024 * 1024 : Math.Min(PeerMaxPduLength, 1024u * 1024);
            if (_options.MaxSendPduLength != 0) limit = Math.Min(limit, _options.MaxSendPduLength);
            return (int)Math.Max(limit - 6, 64) & ~1;
        }
    }

    /// <summary>
    /// Sends one message: the command (Implicit VR Little Endian), then the data set written by <paramref name="writeDataSet"/>
    /// into a stream that cuts it into P-DATA-TF PDUs no longer than the peer accepts (PS3.8 9.3.5, D.1).
    /// </summary>
    public async Task SendAsync(byte contextId, DimseCommand command, Func<Stream, CancellationToken, Task>? writeDataSet, CancellationToken cancellationToken)
    {
        if (_closed.IsCancellationRequested) throw new AssociationAbortedException($"association {this} has ended: {_endReason}");
        command.HasDataSet = writeDataSet != null;
        var bytes = CommandCodec.Encode(command);
        // A send in progress stops when the association ends.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closed.Token);
        cancellationToken = linked.Token;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var framed = PDataStream.Frame(bytes, contextId, isCommand: true, MaxPdvData);
            if (writeDataSet == null)
            {
                await _stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);
                await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // The command leads the data set's first write: one wake-up of the peer instead of two.
                var dataStream = new PDataStream(_stream, contextId, isCommand: false, MaxPdvData, leading: framed);
                await writeDataSet(dataStream, cancellationToken).ConfigureAwait(false);
                await dataStream.FinishAsync(cancellationToken, padOddLength: IsDeflated(contextId)).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _lastSendTimestamp, System.Diagnostics.Stopwatch.GetTimestamp());
            _writeLock.Release();
        }
        Touch();
    }

    private bool IsDeflated(byte contextId) =>
        Accepted.PresentationContexts.FirstOrDefault(pc => pc.Id == contextId)?.AcceptedTransferSyntax is { } ts && TransferSyntax.Lookup(ts).IsDeflated;

    /// <summary>Sends a data set already encoded in the context's transfer syntax.</summary>
    public Task SendAsync(byte contextId, DimseCommand command, byte[]? dataSet, CancellationToken cancellationToken) =>
        SendAsync(contextId, command, dataSet == null ? null : (s, ct) => s.WriteAsync(dataSet, ct).AsTask(), cancellationToken);

    /// <summary>
    /// Sends a request and yields its responses as they come: pending ones, then the final one (PS3.7 9.1.2-9.1.5).
    /// Each yielded message is the caller's to dispose.
    /// </summary>
    public async IAsyncEnumerable<DimseMessage> SendRequestAsync(byte contextId, DimseCommand request, Func<Stream, CancellationToken, Task>? writeDataSet,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (request.MessageId == 0) request.MessageId = NextMessageId();
        // The reader loop hands each response straight to the waiting requestor (no thread-pool hop, which costs a
        // wake-up per sub-operation of a retrieval); the requestor's code runs on the loop until its next await that
        // waits, which is at latest its wait for the next response.
        var channel = Channel.CreateUnbounded<DimseMessage>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
        _awaiting[request.MessageId] = channel;
        Interlocked.Increment(ref _requestsAwaitingResponse);
        try
        {
            await SendAsync(contextId, request, writeDataSet, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                DimseMessage response;
                try
                {
                    response = await channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (ChannelClosedException ex)
                {
                    throw ex.InnerException ?? new AssociationAbortedException($"association {this} ended: {_endReason}");
                }
                var final = !DimseStatus.IsPending(response.Command.Status);
                yield return response;
                if (final) yield break;
            }
        }
        finally
        {
            _awaiting.TryRemove(request.MessageId, out _);
            Interlocked.Decrement(ref _requestsAwaitingResponse);
        }
    }

    /// <summary>C-CANCEL-RQ for a request in progress (PS3.7 9.3.2.3).</summary>
    public Task SendCancelAsync(byte contextId, ushort messageId, CancellationToken cancellationToken = default)
    {
        var cancel = new DimseCommand(CommandField.CCancelRequest) { MessageIdBeingRespondedTo = messageId };
        return SendAsync(contextId, cancel, (Func<Stream, CancellationToken, Task>?)null, cancellationToken);
    }

    private async Task WriteRawAsync(byte[] pdu, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(pdu, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
        Touch();
    }
}
