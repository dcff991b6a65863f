using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Pdus;

namespace TciaPacs.Dicom.Network.Services;

/// <summary>
/// Accepts associations on a TCP port, each on its own task: Nagle off, optional TLS, a limit on concurrent
/// associations (beyond it, A-ASSOCIATE-RJ transient "local limit exceeded", PS3.8 9.3.4). Every association gets one
/// log line when it starts and one when it ends. Disposing stops listening and drains the associations in progress.
/// </summary>
public sealed class DicomServer : IAsyncDisposable
{
    private readonly DicomServerOptions _options;
    private readonly NegotiationPolicy _policy;
    private readonly Func<AssociateRequest, AssociateReject?> _screen;
    private readonly IDimseRequestHandler _handler;
    private readonly ILogger _log;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _listenerClosed;
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly Task _acceptLoop;
    private long _nextId;
    private int _active;

    private DicomServer(DicomServerOptions options, NegotiationPolicy policy, Func<AssociateRequest, AssociateReject?> screen, IDimseRequestHandler handler, ILogger log)
    {
        _options = options;
        _policy = policy;
        _screen = screen;
        _handler = handler;
        _log = log;
        _listener = new TcpListener(options.Address, options.Port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start(backlog: 512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The port listened on (useful when 0 was asked for).</summary>
    public int Port { get; }

    public int ActiveAssociations => Volatile.Read(ref _active);

    /// <param name="screen">Decides on the AE titles before the contexts: null to go on, or the A-ASSOCIATE-RJ to send.</param>
    public static DicomServer Start(DicomServerOptions options, NegotiationPolicy policy, Func<AssociateRequest, AssociateReject?> screen, IDimseRequestHandler handler, ILogger log) =>
        new(options, policy, screen, handler, log);

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            catch (SocketException) when (_listenerClosed || _stopping.IsCancellationRequested)
            {
                return; // the listener was closed under the pending accept: a stop, not a failure
            }
            catch (SocketException ex)
            {
                _log.LogWarning("DICOM listener: accept failed: {Message}", ex.Message);
                continue;
            }
            socket.NoDelay = true;
            var id = Interlocked.Increment(ref _nextId);
            _connections[id] = Task.Run(async () =>
            {
                try
                {
                    await ServeConnectionAsync(socket).ConfigureAwait(false);
                }
                finally
                {
                    _connections.TryRemove(id, out _);
                }
            });
        }
    }

    /// <summary>The messages of an exception and its inner exceptions, without the ones that only point further in.</summary>
    private static string Reasons(Exception ex)
    {
        var messages = new List<string>();
        for (var e = ex; e != null; e = e.InnerException)
        {
            var message = e.Message.TrimEnd('.', ' ');
            if (e.InnerException != null && message.EndsWith("see inner exception", StringComparison.OrdinalIgnoreCase)) continue;
            if (!messages.Contains(message, StringComparer.Ordinal)) messages.Add(message);
        }
        return string.Join(": ", messages);
    }

    /// <summary>
    /// Why a client certificate is refused (none, not chaining to a trusted one, out of date, or, when asked,
    /// revoked or of unknown revocation status), or null.
    /// </summary>
    private string? ClientCertificateProblem(X509Certificate? presented, X509Certificate2Collection trust, bool checkRevocation)
    {
        if (presented == null) return "the client presented no certificate, and this server requires one";
        using var certificate = new X509Certificate2(presented);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        chain.ChainPolicy.ExtraStore.AddRange(trust);
        chain.ChainPolicy.RevocationMode = checkRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
        chain.ChainPolicy.RevocationFlag = X509RevocationFlag.ExcludeRoot;
        chain.ChainPolicy.UrlRetrievalTimeout = _options.TlsRevocationTimeout;
        if (chain.Build(certificate)) return null;
        var problems = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        var why = (flags & X509ChainStatusFlags.Revoked) != 0 ? "it is revoked by its issuer's certificate revocation list"
            : (flags & (X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation)) != 0
                ? "its revocation status cannot be known (is the CRL distribution point it names reachable from this server?)"
                : "it does not chain to a trusted client certificate";
        return $"client certificate {certificate.Subject} refused ({(problems.Length > 0 ? problems : "not trusted")}): {why}";
    }

    private async Task ServeConnectionAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        var overLimit = Interlocked.Increment(ref _active) > _options.MaxAssociations;
        try
        {
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (_options.TlsCertificate is { } certificate)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                string? refused = null;
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                    timeout.CancelAfter(_options.Association.ArtimTimeout);
                    var authentication = new SslServerAuthenticationOptions { ServerCertificate = certificate };
                    if (_options.TlsClientTrust is { } trust)
                    {
                        authentication.ClientCertificateRequired = true;
                        authentication.RemoteCertificateValidationCallback = (_, client, _, _) => (refused = ClientCertificateProblem(client, trust, checkRevocation: false)) == null;
                    }
                    await ssl.AuthenticateAsServerAsync(authentication, timeout.Token).ConfigureAwait(false);
                    // The revocation check may download a list: never in the handshake's callback, which can run on the
                    // socket I/O thread (inline completions) that the download itself needs. After it, on the pool.
                    if (_options.TlsClientTrust is { } trusted && _options.TlsCheckRevocation)
                    {
                        refused = await Task.Run(() => ClientCertificateProblem(ssl.RemoteCertificate, trusted, checkRevocation: true), timeout.Token).ConfigureAwait(false);
                        if (refused != null) throw new System.Security.Authentication.AuthenticationException(refused);
                    }
                }
                catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
                {
                    // SslStream's AuthenticationException says only "Authentication failed, see inner exception"; the
                    // reason (OpenSSL's "no shared cipher", "unsupported protocol", a plain DICOM PDU...) is in the inner ones.
                    _log.LogWarning("{Remote}: TLS handshake failed: {Message}", remote, refused ?? Reasons(ex));
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    return;
                }
                if (ssl.RemoteCertificate is { } client) _log.LogInformation("{Remote}: TLS client certificate {Subject}", remote, client.Subject);
                stream = ssl;
            }
            var screen = overLimit
                ? _ => new AssociateReject(AssociateReject.Transient, AssociateReject.SourceProviderPresentation, AssociateReject.LocalLimitExceeded)
                : _screen;
            var association = await DicomAssociation.AcceptAsync(stream, remote, _options.Association, _policy.Answer, screen, _log, _stopping.Token).ConfigureAwait(false);
            if (association == null) return;
            var accepted = association.Accepted.PresentationContexts.Count(pc => pc.IsAccepted);
            var identity = association.Request.UserInformation.UserIdentity is { } user ? $", user identity {user.Describe()}" : "";
            _log.LogInformation("Association {Association} accepted: {Accepted} of {Proposed} presentation contexts, max PDU {MaxPdu}, implementation {Implementation}{Identity}",
                association, accepted, association.Request.PresentationContexts.Count, association.PeerMaxPduLength,
                association.Request.UserInformation.ImplementationVersionName ?? association.Request.UserInformation.ImplementationClassUid, identity);
            if (accepted < association.Request.PresentationContexts.Count) LogRefused(association);
            association.IsOnlyAssociation = () => Volatile.Read(ref _active) == 1;
            await association.RunAsync(_handler, _stopping.Token).ConfigureAwait(false);
            _log.LogInformation("Association {Association} ended: {Reason}", association, association.EndReason ?? "closed");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _log.LogError(ex, "{Remote}: association failed", remote);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>
    /// Which proposed contexts were refused and why: what an administrator needs when a modality says the archive
    /// "does not support" what it sends (one line, each abstract syntax once).
    /// </summary>
    private void LogRefused(DicomAssociation association)
    {
        var refused = association.Accepted.PresentationContexts.Where(pc => !pc.IsAccepted)
            .Select(pc => $"{DicomUids.Lookup(pc.AbstractSyntax)} ({pc.Result switch
            {
                PresentationContextResult.AbstractSyntaxNotSupported => "abstract syntax not supported",
                PresentationContextResult.TransferSyntaxesNotSupported => "no transfer syntax supported",
                PresentationContextResult.UserRejection => "refused by policy",
                _ => "no reason",
            }})")
            .Distinct().ToList();
        _log.LogInformation("Association {Association}: presentation contexts refused: {Refused}", association,
            string.Join("; ", refused.Take(10)) + (refused.Count > 10 ? $"; and {refused.Count - 10} more" : ""));
    }

    public async ValueTask DisposeAsync()
    {
        _listenerClosed = true;
        _listener.Stop();
        var pending = _connections.Values.ToArray();
        // Let the associations in progress finish (peers release), then abort what is left.
        var drained = Task.WhenAll(pending);
        if (await Task.WhenAny(drained, Task.Delay(_options.DrainTimeout)).ConfigureAwait(false) != drained) _stopping.Cancel();
        _stopping.Cancel();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
            await drained.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException)
        {
        }
        _stopping.Dispose();
    }
}
