using System.Net;
using System.Security.Cryptography.X509Certificates;
using Serilog.Extensions.Logging;
using TciaPacs.Archive;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Services;
using TciaPacs.Server.Dimse;

namespace TciaPacs.Server.Hosting;

/// <summary>Starts the DIMSE listener of <c>serve</c> (issue 5); disposing it stops listening and drains associations.</summary>
internal static class DimseHost
{
    public static Task<IAsyncDisposable> StartAsync(ServerOptions options, DicomArchive archive, Serilog.ILogger log, CancellationToken cancellationToken)
    {
        var dimse = options.Dimse;
        var factory = new SerilogLoggerFactory(log);
        var logger = factory.CreateLogger("TciaPacs.Dimse");
        var spool = SpoolDirectory(options);
        Directory.CreateDirectory(spool);
        // Spool files left by a crash are incomplete or unstored data sets: never half-stored, just removed.
        var leftovers = 0;
        foreach (var f in Directory.EnumerateFiles(spool, "*.part"))
        {
            File.Delete(f);
            leftovers++;
        }
        if (leftovers > 0) log.Warning("DIMSE: removed {Count} incomplete spool files from {Folder}", leftovers, spool);
        CheckUsers(dimse);
        var service = new ArchiveDimseService(archive, options, logger);
        var policy = Policy(options);
        var server = DicomServer.Start(new DicomServerOptions
        {
            Address = IPAddress.Any,
            Port = dimse.Port,
            MaxAssociations = dimse.MaxAssociations,
            Association = AssociationOptions(options) with { DataSetHash = service.NewDataSetHash, SpoolWriteback = service.KeepsSpool },
            TlsCertificate = dimse.TlsCertificate is { Length: > 0 } path ? X509CertificateLoader.LoadPkcs12FromFile(path, dimse.TlsCertificatePassword) : null,
            TlsClientTrust = ClientTrust(dimse),
            TlsCheckRevocation = dimse.TlsCheckRevocation,
        }, policy, service.Screen, service, logger);
        log.Information("DIMSE listening as AE {AeTitle} on port {Port}{Tls}: max {Max} associations, max PDU {MaxPdu}; peers: {Peers}",
            dimse.AeTitle, server.Port, dimse.TlsCertificate == null ? "" : dimse.TlsClientCertificates == null ? " (TLS)"
                : dimse.TlsCheckRevocation ? " (TLS, client certificates required, checked for revocation)" : " (TLS, client certificates required)",
            dimse.MaxAssociations, dimse.MaxPduLength, dimse.Peers.Count == 0 ? "none" : string.Join(", ", dimse.Peers));
        if (dimse.AcceptAnyCaller)
            log.Warning("DIMSE accepts associations from any calling AE title (Dimse.AcceptAnyCaller); list the peers and turn it off for production");
        if (dimse.Users.Count > 0)
            log.Information("DIMSE users: {Users}; a user identity is {Required}", string.Join(", ", dimse.Users), dimse.RequireUserIdentity ? "required" : "checked when sent");
        return Task.FromResult<IAsyncDisposable>(new Listener(server, factory));
    }

    public static string SpoolDirectory(ServerOptions options) => Path.Combine(options.DataDirectory, "tmp", "dimse");

    public static AssociationOptions AssociationOptions(ServerOptions options) => new()
    {
        MaxPduLength = options.Dimse.MaxPduLength,
        ArtimTimeout = TimeSpan.FromSeconds(options.Dimse.ArtimTimeoutSeconds),
        IdleTimeout = TimeSpan.FromSeconds(options.Dimse.IdleTimeoutSeconds),
        TempDirectory = SpoolDirectory(options),
        ReplyPollWindow = TimeSpan.FromMicroseconds(Math.Max(0, options.Dimse.ReplyPollMicroseconds)),
        PixelDataDecoder = Dimse.CodecPixelDataDecoder.Instance,
        PixelDataEncoder = Dimse.CodecPixelDataEncoder.Instance,
    };

    /// <summary>Verification and Q/R with the native transfer syntaxes; storage with every registered one (stored as received).</summary>
    public static NegotiationPolicy Policy(ServerOptions options)
    {
        var native = SopClasses.Native.ToHashSet(StringComparer.Ordinal);
        var queryRetrieve = SopClasses.QueryRetrieve.ToHashSet(StringComparer.Ordinal);
        var accepted = SopClasses.AllTransferSyntaxes;
        return new NegotiationPolicy
        {
            TransferSyntaxPreference = options.Dimse.TransferSyntaxPreference.Select(ResolveTransferSyntax).ToList(),
            // A known peer's compression (Dimse.Peers[].Compression) for the C-GET contexts it proposes.
            SendingPreference = callingAe => options.Dimse.Peers.FirstOrDefault(p => p.AeTitle == callingAe) is { } peer ? Dimse.ArchiveDimseService.CompressionOf(peer) : [],
            TransferSyntaxesFor = uid =>
            {
                if (uid == SopClasses.Verification || uid == SopClasses.StorageCommitmentPushModel || queryRetrieve.Contains(uid)) return native;
                if (SopClasses.Storage.Contains(uid)) return accepted;
                // A private SOP class (not in the registry) can only be stored.
                if (options.Dimse.AcceptUnknownSopClasses && DicomUids.Find(uid) == null && DicomUids.IsValid(uid)) return accepted;
                return null;
            },
        };
    }

    /// <summary>Dimse.Users must each have a name of their own and a passcode hash this version can check.</summary>
    private static void CheckUsers(ServerOptions.DimseSection dimse)
    {
        if (dimse.RequireUserIdentity && dimse.Users.Count == 0)
            throw new InvalidOperationException("Dimse.RequireUserIdentity needs Dimse.Users: list who may connect (tciapacs hash-password makes their passcode hashes).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var user in dimse.Users)
        {
            if (string.IsNullOrWhiteSpace(user.Username)) throw new InvalidOperationException("Dimse.Users: a user has no Username.");
            if (!seen.Add(user.Username)) throw new InvalidOperationException($"Dimse.Users: user '{user.Username}' is listed twice.");
            if (user.Password != null && Dimse.PasswordHash.Problem(user.Password) is { } problem)
                throw new InvalidOperationException($"Dimse.Users: the Password of user '{user.Username}' is {problem}.");
        }
    }

    /// <summary>The certificates client certificates must chain to (Dimse.TlsClientCertificates), or null.</summary>
    private static X509Certificate2Collection? ClientTrust(ServerOptions.DimseSection dimse)
    {
        if (dimse.TlsClientCertificates is not { Length: > 0 } path)
        {
            if (dimse.TlsCheckRevocation)
                throw new InvalidOperationException("Dimse.TlsCheckRevocation checks client certificates: set Dimse.TlsClientCertificates (and Dimse.TlsCertificate) too.");
            return null;
        }
        if (dimse.TlsCertificate is not { Length: > 0 })
            throw new InvalidOperationException("Dimse.TlsClientCertificates needs Dimse.TlsCertificate: client certificates are checked only over TLS.");
        var trust = new X509Certificate2Collection();
        trust.ImportFromPemFile(path);
        if (trust.Count == 0) throw new InvalidOperationException($"Dimse.TlsClientCertificates: {path} holds no PEM certificate.");
        return trust;
    }

    private static string ResolveTransferSyntax(string nameOrUid) =>
        DicomUids.All.FirstOrDefault(u => u.Type == DicomUidType.TransferSyntax && (u.Value == nameOrUid || u.Keyword == nameOrUid))?.Value
        ?? throw new InvalidDataException($"Dimse.TransferSyntaxPreference: '{nameOrUid}' is not a transfer syntax UID or keyword");

    private sealed class Listener(DicomServer server, IDisposable factory) : IAsyncDisposable
    {
        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
            await server.DisposeAsync().ConfigureAwait(false);
            factory.Dispose();
        }
    }
}
