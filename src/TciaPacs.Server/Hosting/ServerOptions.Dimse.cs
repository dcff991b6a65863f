namespace TciaPacs.Server.Hosting;

internal sealed partial class ServerOptions
{
    internal sealed partial class DimseSection
    {
        /// <summary>Accept associations from any calling AE title (with a warning at start); else only from <see cref="Peers"/>.</summary>
        public bool AcceptAnyCaller { get; set; } = true;

        /// <summary>Called AE titles other than ours that are accepted, each storing into (and querying) its collection.</summary>
        public Dictionary<string, string> CalledAeCollections { get; set; } = new(StringComparer.Ordinal);

        /// <summary>When set, an unknown called AE title is accepted into this collection instead of rejected.</summary>
        public string? UnknownCalledAeCollection { get; set; }

        /// <summary>Known peers: C-MOVE destinations, and the callers allowed when <see cref="AcceptAnyCaller"/> is off.</summary>
        public List<DimsePeer> Peers { get; set; } = [];

        public int MaxAssociations { get; set; } = 64;

        /// <summary>Least milliseconds between two Pending C-MOVE/C-GET responses (progress); 0: one after every sub-operation.</summary>
        public int PendingResponseIntervalMs { get; set; } = 200;

        /// <summary>
        /// Microseconds to poll for a C-STORE-RSP (or any response to our request) before blocking, after each
        /// sub-operation of a C-MOVE or C-GET goes out: a blocked socket thread's wake-up costs more on a virtual
        /// machine. One poller per process; off for an association whose responses miss it 16 times in a row; 0: never.
        /// </summary>
        public int ReplyPollMicroseconds { get; set; } = 500;

        /// <summary>Largest P-DATA-TF PDU we receive (PS3.8 D.1).</summary>
        public uint MaxPduLength { get; set; } = 256 * 1024;

        /// <summary>ARTIM timer (PS3.8 9.1.5): waiting for an association request, or for the close after release.</summary>
        public int ArtimTimeoutSeconds { get; set; } = 30;

        /// <summary>An association idle this long (no PDU, nothing in progress) is aborted.</summary>
        public int IdleTimeoutSeconds { get; set; } = 300;

        /// <summary>Preferred transfer syntaxes for storage, UIDs or keywords, first best; empty: the sender's order.</summary>
        public List<string> TransferSyntaxPreference { get; set; } = [];

        /// <summary>Accept storage of SOP classes not in the registry (private SOP classes), as received.</summary>
        public bool AcceptUnknownSopClasses { get; set; } = true;

        /// <summary>DICOM TLS (PS3.15 B.1): a PKCS#12 certificate file; when set, the port speaks TLS only.</summary>
        public string? TlsCertificate { get; set; }

        public string? TlsCertificatePassword { get; set; }

        /// <summary>
        /// With TLS: a PEM file of the certificates client certificates must chain to (a site's CA, or each client's
        /// own self-signed certificate). When set, a client without such a certificate gets no association.
        /// </summary>
        public string? TlsClientCertificates { get; set; }

        /// <summary>
        /// With TlsClientCertificates: check each client certificate against its issuer's revocation list (from the
        /// certificate's CRL distribution points); a revoked certificate, or one whose status cannot be known, is refused.
        /// </summary>
        public bool TlsCheckRevocation { get; set; }

        /// <summary>
        /// Users who may identify themselves in the association request (PS3.7 D.3.3.7, username and passcode), each
        /// with what they may do and which collections they see. When any is listed, an identity that is presented is
        /// checked, and an unknown user or a wrong passcode gets no association.
        /// </summary>
        public List<ArchiveUser> Users { get; set; } = [];

        /// <summary>With <see cref="Users"/>: an association request without a user identity is rejected too.</summary>
        public bool RequireUserIdentity { get; set; }
    }

    /// <summary>A user of <c>Dimse.Users</c> or <c>Http.Users</c>: a name, a passcode hash, what they may do and which collections they see.</summary>
    internal sealed class ArchiveUser
    {
        public string Username { get; set; } = "";

        /// <summary>The passcode's hash, as <c>tciapacs hash-password</c> prints it; null: the username alone identifies (PS3.7 user identity type 1).</summary>
        public string? Password { get; set; }

        /// <summary>What the user may do, besides what the calling peer may: store, query (C-FIND), retrieve (C-MOVE/C-GET).</summary>
        public bool Store { get; set; } = true;
        public bool Query { get; set; } = true;
        public bool Retrieve { get; set; } = true;

        /// <summary>
        /// A curator: sees the intake collections (Curation.IntakeCollections; within <see cref="Collections"/>), and over
        /// DICOMweb moves studies between collections (/api/curation). Off unless said.
        /// </summary>
        public bool Curate { get; set; }

        /// <summary>The collections the user may store into, query and retrieve from; null or empty: all.</summary>
        public List<string>? Collections { get; set; }

        public override string ToString() => Username;
    }

    internal sealed class DimsePeer
    {
        public string AeTitle { get; set; } = "";
        public string Host { get; set; } = "";
        public int Port { get; set; } = 104;

        /// <summary>What the peer may do when it calls us (when AcceptAnyCaller is off): store, query (C-FIND), retrieve (C-MOVE/C-GET).</summary>
        public bool Store { get; set; } = true;
        public bool Query { get; set; } = true;
        public bool Retrieve { get; set; } = true;

        /// <summary>
        /// Lossless syntaxes (keyword or UID, comma-separated, preferred first; as <c>Storage.Compression</c>) native
        /// images go in when this peer retrieves them (as C-MOVE destination or C-GET requestor) and accepts one: for a
        /// site over a slow link. "None" (the default): as stored, or decoded for a peer that takes native syntaxes only.
        /// </summary>
        public string Compression { get; set; } = "None";

        /// <summary><c>AET@HOST:PORT</c>, as given to <c>serve --peer</c>.</summary>
        public static DimsePeer Parse(string text)
        {
            var at = text.IndexOf('@', StringComparison.Ordinal);
            var colon = text.LastIndexOf(':');
            if (at <= 0 || colon <= at + 1 || !int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new FormatException($"'{text}' is not AET@HOST:PORT");
            return new DimsePeer { AeTitle = text[..at], Host = text[(at + 1)..colon], Port = port };
        }

        public override string ToString() => $"{AeTitle}@{Host}:{Port}";
    }
}
