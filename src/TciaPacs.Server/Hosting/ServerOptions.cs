using TciaPacs.Archive.Storing;

namespace TciaPacs.Server.Hosting;

/// <summary>
/// The server configuration: built-in defaults, then <c>appsettings.json</c> (beside the executable, then in the
/// current folder), then <c>--config FILE</c>, then command-line flags. The reference file is samples/tciapacs.json.
/// </summary>
internal sealed partial class ServerOptions
{
    public string DataDirectory { get; set; } = "./data";
    public DimseSection Dimse { get; set; } = new();
    public HttpSection Http { get; set; } = new();
    public StorageSection Storage { get; set; } = new();
    public LoggingSection Logging { get; set; } = new();
    public IndexSection Index { get; set; } = new();
    public CurationSection Curation { get; set; } = new();

    /// <summary>
    /// Socket completions run on the runtime's socket I/O threads instead of being handed to a thread-pool thread
    /// (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS, process-wide, for the DIMSE and HTTP sockets): one wake-up less
    /// per received PDU. Set by <c>serve</c> before it opens any socket; the environment variable, when set, wins.
    /// </summary>
    public bool InlineSocketCompletions { get; set; } = true;

    internal sealed partial class DimseSection
    {
        public string AeTitle { get; set; } = "TCIAPACS";
        public int Port { get; set; } = 11112;
    }

    internal sealed partial class HttpSection
    {
        public int Port { get; set; } = 8080;
    }

    internal sealed partial class StorageSection
    {
        public DuplicatePolicy DuplicatePolicy { get; set; } = DuplicatePolicy.Reject;
        public string DefaultCollection { get; set; } = StoreRequest.DefaultCollection;
        public int RecoveryParallelism { get; set; } = 2;

        /// <summary>
        /// Ingest compression for every collection not in <see cref="CollectionCompression"/>: None (as received, the
        /// default) or lossless syntaxes we encode (RLELossless, JPEGLossless, JPEGLosslessSV1, JPEGLSLossless,
        /// JPEG2000Lossless, HTJ2KLossless, HTJ2KLosslessRPCL, DeflatedImageFrameCompression; UID or keyword), several
        /// separated by commas, tried in order for each image.
        /// Only native pixel data is re-encoded.
        /// </summary>
        public string Compression { get; set; } = "None";

        /// <summary>Per collection (by name), replacing <see cref="Compression"/> for it.</summary>
        public Dictionary<string, string> CollectionCompression { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    }

    internal sealed class LoggingSection
    {
        public string MinimumLevel { get; set; } = "Information";
        public int RetainedFileCount { get; set; } = 31;
    }

    internal sealed class CurationSection
    {
        /// <summary>
        /// Collections where contributed data waits for a curator (seen by curators only, never public), each with the
        /// collection its studies are published to unless the curator names another (null or empty: the curator names one).
        /// </summary>
        public Dictionary<string, string?> IntakeCollections { get; set; } = new(StringComparer.Ordinal);

        /// <summary>The archive's view of this section; a configuration that cannot work is refused with the reason.</summary>
        public TciaPacs.Archive.Curation.CurationOptions ToOptions()
        {
            foreach (var (intake, target) in IntakeCollections)
            {
                if (string.IsNullOrWhiteSpace(intake)) throw new InvalidOperationException("Curation.IntakeCollections: a collection name is empty.");
                if (string.IsNullOrEmpty(target)) continue;
                if (target == intake) throw new InvalidOperationException($"Curation.IntakeCollections: intake collection '{intake}' publishes to itself; name the published collection.");
                if (IntakeCollections.ContainsKey(target))
                    throw new InvalidOperationException($"Curation.IntakeCollections: intake collection '{intake}' publishes to '{target}', which is an intake collection too.");
            }
            return new TciaPacs.Archive.Curation.CurationOptions { IntakeCollections = new Dictionary<string, string?>(IntakeCollections, StringComparer.Ordinal) };
        }
    }

    internal sealed class IndexSection
    {
        /// <summary>Attributes indexed beyond the default list: <c>TAG[@CREATOR] [VR] LEVEL</c>, e.g. <c>0013,xx10@CTP LO STUDY</c>.</summary>
        public List<string> ExtraAttributes { get; set; } = [];
    }
}
