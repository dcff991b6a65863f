using TciaPacs.Dicom;

namespace TciaPacs.Archive.Storing;

/// <summary>
/// Ingest compression: re-encodes an instance's native pixel data, losslessly, in the transfer syntax its collection is
/// stored in, after the filters and before the file is written. The archive knows no codec: the application supplies
/// this through <see cref="StoreOptions.Compression"/>.
/// </summary>
public interface IStoreCompression
{
    /// <summary>
    /// The data set re-encoded for <paramref name="collection"/>, or null to store it as received: the collection stores
    /// as received, the pixel data is already compressed or absent, or the codec cannot hold it (then
    /// <paramref name="skipped"/> says why, for the log). The encoded frames may be kept in <paramref name="scratchPath"/>
    /// (a file that does not exist yet, on the archive's file system), from which the data set's fragments are then read:
    /// the pipeline deletes it once the file is written.
    /// </summary>
    (DicomDataset Dataset, TransferSyntax Syntax)? Compress(DicomDataset dataset, TransferSyntax syntax, string collection, string scratchPath, out string? skipped);
}
