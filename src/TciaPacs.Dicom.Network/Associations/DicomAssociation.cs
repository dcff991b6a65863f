using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Associations;

/// <summary>
/// One DICOM association over a byte stream (TCP, or TLS over TCP): the upper layer protocol of PS3.8 from Sta6 on
/// (establishment is in <see cref="AcceptAsync"/> and <see cref="RequestAsync"/>), with DIMSE messages assembled from
/// P-DATA-TF fragments. One task reads PDUs (<see cref="RunAsync"/>); received requests are handled one at a time by
/// an <see cref="IDimseRequestHandler"/> while the reader keeps reading, so that a C-CANCEL reaches the operation it
/// cancels; responses are routed to the request that awaits them. Any protocol violation aborts (PS3.8 9.2.3 AA-*).
/// </summary>
public sealed partial class DicomAssociation : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly AssociationOptions _options;
    private readonly ILogger _log;
    private readonly bool _isRequestor;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Channel<DimseMessage> _requests = Channel.CreateUnbounded<DimseMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
    private volatile int _readLoopThread; // the read loop's thread while it hands a request to the channel, else 0
    private readonly ConcurrentDictionary<ushort, Channel<DimseMessage>> _awaiting = new();
    private readonly ConcurrentDictionary<ushort, CancellationTokenSource> _inProgress = new();
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastActivity;
    private readonly ReplyPoll? _replyPoll;
    private long _lastSendTimestamp; // Stopwatch ticks when the last message went out: the start of a reply's poll window
    // Requests of ours between their send and their final response. The reader asks before every receive whether one
    // awaits a reply; an empty ConcurrentDictionary's IsEmpty takes all its locks to say so (about 50 ns on 2 cores,
    // more with more), which every receive of a C-STORE association would pay.
    private int _requestsAwaitingResponse;
    private int _busy;
    private int _messageId;
    private int _closing;
    private string? _endReason;

    private DicomAssociation(Stream stream, AssociationOptions options, ILogger log, bool isRequestor, AssociateRequest request, AssociateRequest accepted, string remote)
    {
        _stream = stream;
        _options = options;
        _log = log;
        _isRequestor = isRequestor;
        Request = request;
        Accepted = accepted;
        Remote = remote;
        PeerMaxPduLength = isRequestor ? accepted.UserInformation.MaxPduLength : request.UserInformation.MaxPduLength;
        if (options.ReplyPollWindow > TimeSpan.Zero && ReplyPoll.PlainSocketOf(stream) is { } socket) _replyPoll = new ReplyPoll(socket, options.ReplyPollWindow);
        State = AssociationState.Sta6Established;
    }

    /// <summary>The A-ASSOCIATE-RQ as proposed.</summary>
    public AssociateRequest Request { get; }

    /// <summary>The A-ASSOCIATE-AC, its presentation contexts completed with the abstract syntax proposed for them.</summary>
    public AssociateRequest Accepted { get; }

    /// <summary>Set by the server: whether this is its only association now (see ProcessRequestsAsync).</summary>
    internal Func<bool>? IsOnlyAssociation { get; set; }

    /// <summary>Whether the calling code runs inside the read loop's hand-over of a request (for tests).</summary>
    internal bool OnReadLoop => _readLoopThread == Environment.CurrentManagedThreadId;

    public string Remote { get; }
    public string CallingAe => Request.CallingAe;
    public string CalledAe => Request.CalledAe;
    public uint PeerMaxPduLength { get; }
    public AssociationState State { get; private set; }

    /// <summary>Cancelled when the association has ended, however it ended.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Why it ended ("released", "aborted by peer", "idle timeout"...), once it has.</summary>
    public string? EndReason => _endReason;

    public override string ToString() => $"{CallingAe}->{CalledAe} ({Remote})";

    /// <summary>The accepted contexts for an abstract syntax, in the order proposed.</summary>
    public IEnumerable<PresentationContext> AcceptedContexts(string abstractSyntax) =>
        Accepted.PresentationContexts.Where(pc => pc.IsAccepted && pc.AbstractSyntax == abstractSyntax);

    /// <summary>The role selection the acceptor granted for a SOP class (PS3.7 D.3.3.4), or null when none was negotiated.</summary>
    public RoleSelection? GrantedRole(string sopClassUid) => Accepted.UserInformation.RoleSelections.FirstOrDefault(r => r.SopClassUid == sopClassUid);

    public ushort NextMessageId() => (ushort)(Interlocked.Increment(ref _messageId) & 0xFFFF);

    /// <summary>Reads and dispatches until the association ends (released, aborted or dropped); requests go to <paramref name="handler"/>.</summary>
    public async Task RunAsync(IDimseRequestHandler handler, CancellationToken cancellationToken = default)
    {
        Touch();
        using var watchdog = new Timer(_ => Watch(), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
        using var stop = cancellationToken.Register(() => _ = AbortAsync("shut down"));
        var processing = Task.Run(() => ProcessRequestsAsync(handler));
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            _requests.Writer.TryComplete();
            await processing.ConfigureAwait(false);
            await CloseAsync().ConfigureAwait(false);
        }
    }

    private async Task ProcessRequestsAsync(IDimseRequestHandler handler)
    {
        await foreach (var message in _requests.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            // Handlers do synchronous work (a query, a parse), and the read loop must go on reading (a C-CANCEL, the
            // I/O of other associations on the same socket thread): a request handed over by the read loop runs inside
            // its call to the channel, so it moves to the thread pool. So does a request waiting in the channel when the
            // previous handler ended on a thread that is not the pool's (a socket I/O thread, the catalog's writer).
            // One exception: a C-STORE on the server's only association runs its synchronous part (parse, staging:
            // a few tenths of a millisecond, large values left in the spool) on the read loop's thread. There is no
            // other I/O to hold up, and no C-CANCEL for a C-STORE (PS3.7 9.3.2.3), and it saves waking a pool thread,
            // about 50 us of a 1.2 ms store.
            if (OnReadLoop
                    ? !(message.Command.Field == CommandField.CStoreRequest && IsOnlyAssociation?.Invoke() == true)
                    : !Thread.CurrentThread.IsThreadPoolThread)
                await Task.Yield();
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
            _inProgress[message.Command.MessageId] = cts;
            Interlocked.Increment(ref _busy);
            try
            {
                await handler.HandleAsync(this, message, cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                if (!_closed.IsCancellationRequested) await TrySendFailureAsync(message, DimseStatus.Cancel, "cancelled").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _log.LogError(ex, "{Association}: {Request} failed", this, message.Command);
                await TrySendFailureAsync(message, DimseStatus.ProcessingFailure, ex.Message).ConfigureAwait(false);
            }
            finally
            {
                _inProgress.TryRemove(message.Command.MessageId, out _);
                Interlocked.Decrement(ref _busy);
                Touch();
                message.Dispose();
            }
        }
        // The peer asked to release (Sta8): the operations are done, answer A-RELEASE-RP and wait for the close (Sta13).
        if (State == AssociationState.Sta8AwaitingLocalReleaseResponse && !_closed.IsCancellationRequested)
        {
            // Sta13 before the PDU leaves: the peer may close the connection the moment it has the answer.
            State = AssociationState.Sta13AwaitingClose;
            try
            {
                await WriteRawAsync(PduWriter.ReleaseResponse(), CancellationToken.None).ConfigureAwait(false);
                _endReason ??= "released";
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                _endReason ??= "connection lost while releasing";
            }
        }
    }

    private async Task TrySendFailureAsync(DimseMessage request, ushort status, string comment)
    {
        if (request.Command.IsResponse || request.Command.Field == CommandField.CCancelRequest) return;
        try
        {
            var rsp = DimseCommand.ResponseTo(request.Command, status);
            rsp.ErrorComment = comment;
            await SendAsync(request.Context.Id, rsp, (byte[]?)null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or AssociationAbortedException)
        {
            // The association is gone; nothing to answer.
        }
    }

    /// <summary>Asks the peer to release (A-RELEASE-RQ, Sta7) and waits for A-RELEASE-RP, then closes.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken = default)
    {
        if (_closed.IsCancellationRequested) return;
        State = AssociationState.Sta7AwaitingReleaseResponse;
        await WriteRawAsync(PduWriter.ReleaseRequest(), cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ArtimTimeout);
        try
        {
            await _released.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await AbortAsync("no A-RELEASE-RP within the ARTIM timeout").ConfigureAwait(false);
        }
    }

    /// <summary>Sends A-ABORT (source: service user, or provider with <paramref name="providerReason"/>) and closes (PS3.8 AA-1).</summary>
    public async Task AbortAsync(string reason, byte? providerReason = null)
    {
        if (_closed.IsCancellationRequested) return;
        _endReason ??= reason;
        var pdu = providerReason is { } r ? new AbortPdu(AbortPdu.SourceProvider, r) : new AbortPdu(AbortPdu.SourceUser, 0);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await WriteRawAsync(PduWriter.Abort(pdu), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or NotSupportedException or InvalidOperationException)
        {
            // Best effort: the transport may already be gone.
        }
        await CloseAsync().ConfigureAwait(false);
    }

    private async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _closing, 1) == 1) return;
        State = AssociationState.Sta1Idle;
        _released.TrySetResult();
        _closed.Cancel();
        foreach (var waiting in _awaiting.Values) waiting.Writer.TryComplete(new AssociationAbortedException($"association {this} ended: {_endReason}"));
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closed.IsCancellationRequested) await AbortAsync("disposed").ConfigureAwait(false);
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivity, _clock.ElapsedMilliseconds);

    /// <summary>The timers: idle timeout in Sta6 with nothing in progress; ARTIM in Sta13 (PS3.8 9.1.5).</summary>
    private void Watch()
    {
        if (_closed.IsCancellationRequested) return;
        var idle = TimeSpan.FromMilliseconds(_clock.ElapsedMilliseconds - Interlocked.Read(ref _lastActivity));
        if (State == AssociationState.Sta13AwaitingClose && idle > _options.ArtimTimeout)
        {
            _endReason ??= "released (peer did not close the connection; closed on ARTIM expiry)";
            _ = CloseAsync();
        }
        else if (State == AssociationState.Sta6Established && Volatile.Read(ref _busy) == 0 && _awaiting.IsEmpty && idle > _options.IdleTimeout)
        {
            _log.LogWarning("{Association}: idle for {Seconds:F0} s with nothing in progress: aborting", this, idle.TotalSeconds);
            _ = AbortAsync($"idle timeout ({_options.IdleTimeout.TotalSeconds:F0} s)", AbortPdu.NotSpecified);
        }
    }
}
