namespace TciaPacs.Archive.Storing;

/// <summary>
/// One instance to store: a Part 10 file already spooled to disk (DIMSE and STOW spool to a file first, so that bulk
/// data never sits in memory) or a stream, which the pipeline spools itself.
/// </summary>
public sealed record StoreRequest
{
    public const string DefaultCollection = "default";

    /// <summary>The Part 10 file (PS3.10 7.1) to store; it is copied, never changed, and moved only when <see cref="MayMoveFile"/>.</summary>
    public string? FilePath { get; init; }

    /// <summary>
    /// The file is a spool the caller no longer needs (DIMSE, STOW-RS): the pipeline may move it into the file store
    /// instead of copying it, when it keeps the file as it is and the spool is on the same file system. The caller
    /// deletes the path afterwards if it still exists.
    /// </summary>
    public bool MayMoveFile { get; init; }

    /// <summary>
    /// The content hash of <see cref="FilePath"/>'s data set (<see cref="Storage.DataSetHashing"/>), when the caller
    /// computed it while writing the file. Trusted: a file moved into the store as it is is named by it without being
    /// read again. Ignored when the pipeline rewrites the file, or when it is not 32 lowercase hex digits.
    /// </summary>
    public string? DataSetHash { get; init; }

    /// <summary>
    /// The caller's code after the store is short and never waits for another catalog write: it may resume on the
    /// catalog's writer thread once the record commits, one thread hand-off less per store (a DIMSE C-STORE's response
    /// goes out from there). Leave it false when more work follows in the same flow, as in an import loop.
    /// </summary>
    public bool ResumeOnCatalogWriter { get; init; }

    /// <summary>Alternatively a stream holding a Part 10 file; read once, to its end.</summary>
    public Stream? Stream { get; init; }

    public string Collection { get; init; } = DefaultCollection;

    /// <summary>A person has reviewed this instance (a quarantine release): filters that only judge let it pass; filters that edit still edit.</summary>
    public bool Reviewed { get; init; }

    public StoreDoor Door { get; init; } = StoreDoor.Import;

    /// <summary>The calling AE title (DIMSE) or client name, for audit; not used for decisions here.</summary>
    public string? CallingAe { get; init; }

    public static StoreRequest FromFile(string path, string collection = DefaultCollection, StoreDoor door = StoreDoor.Import) =>
        new() { FilePath = path, Collection = collection, Door = door };

    /// <summary>A spooled file the pipeline may move into the store (see <see cref="MayMoveFile"/>).</summary>
    public static StoreRequest FromSpool(string path, string collection = DefaultCollection, StoreDoor door = StoreDoor.Dimse) =>
        new() { FilePath = path, Collection = collection, Door = door, MayMoveFile = true };

    public static StoreRequest FromStream(Stream stream, string collection = DefaultCollection, StoreDoor door = StoreDoor.Stow) =>
        new() { Stream = stream, Collection = collection, Door = door };

    /// <summary>What to call the source in messages.</summary>
    public string SourceName => FilePath ?? "(stream)";
}
