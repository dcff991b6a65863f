namespace TciaPacs.Server.Hosting;

internal sealed partial class ServerOptions
{
    /// <summary>The DICOMweb service (TciaPacs.Web); documented in samples/tciapacs.json.</summary>
    internal sealed partial class HttpSection
    {
        /// <summary><c>*</c> (every interface), <c>localhost</c>, or one IP address.</summary>
        public string Host { get; set; } = "*";

        /// <summary>Largest request body in bytes (a STOW-RS upload); 0: no limit. Parts are streamed to disk.</summary>
        public long MaxRequestBodySize { get; set; }

        /// <summary>Most QIDO-RS results per request; more are announced with a Warning header.</summary>
        public int MaxQueryResults { get; set; } = 1000;

        /// <summary>Origins browser viewers may call from (CORS); <c>*</c> for any.</summary>
        public List<string> CorsOrigins { get; set; } = ["*"];

        /// <summary>Binary values at least this long appear in /metadata as BulkDataURIs.</summary>
        public long BulkDataThreshold { get; set; } = 1024;

        /// <summary>Default JPEG quality of /rendered and /thumbnail.</summary>
        public int RenderedQuality { get; set; } = 90;

        /// <summary>Largest side of a /thumbnail in pixels.</summary>
        public int ThumbnailSize { get; set; } = 128;

        /// <summary>
        /// The bearer token of the admin API (<c>/admin/quarantine</c>); empty: the admin API is off. Quarantined
        /// instances hold identifiers, so the API answers only callers that send <c>Authorization: Bearer TOKEN</c>.
        /// </summary>
        public string AdminToken { get; set; } = "";

        /// <summary>
        /// Users who may sign in to DICOMweb with HTTP Basic (behind a TLS reverse proxy), in the form of
        /// <c>Dimse.Users</c> (a Password hash from <c>tciapacs hash-password</c> is required here): what each may do
        /// (Store: STOW-RS, Query: QIDO-RS, Retrieve: WADO-RS and WADO-URI) and which collections each sees. When any is
        /// listed, a caller who does not sign in may not store.
        /// </summary>
        public List<ArchiveUser> Users { get; set; } = [];

        /// <summary>
        /// The collections a caller who does not sign in may query and retrieve (the public ones; the others are
        /// limited-access); null: every collection, an open archive; empty: none, so that every caller signs in.
        /// </summary>
        public List<string>? PublicCollections { get; set; }
    }
}
