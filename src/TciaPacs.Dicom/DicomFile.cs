using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom;

/// <summary>A Part 10 file (PS3.10 7.1): file meta information (group 0002) and the data set, with what the reader noticed.</summary>
public sealed class DicomFile(DicomDataset meta, DicomDataset dataset, TransferSyntax transferSyntax, IReadOnlyList<string>? warnings = null, bool stoppedEarly = false, string? path = null)
{
    public DicomDataset Meta { get; } = meta;
    public DicomDataset Dataset { get; } = dataset;

    /// <summary>The transfer syntax of the data set (from the file meta, or detected when there is none).</summary>
    public TransferSyntax TransferSyntax { get; } = transferSyntax;

    /// <summary>Irregularities tolerated while reading (as dcmtk's warnings), in reading order.</summary>
    public IReadOnlyList<string> Warnings { get; } = warnings ?? [];

    /// <summary>Reading stopped at <see cref="DicomReadOptions.StopBeforeTag"/>: the data set is incomplete.</summary>
    public bool StoppedEarly { get; } = stoppedEarly;

    public string? Path { get; } = path;
    public bool HasPreamble { get; init; }

    public static DicomFile Open(string path, DicomReadOptions? options = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return DicomParser.Read(stream, options ?? DicomReadOptions.Default, System.IO.Path.GetFullPath(path));
    }

    /// <summary>Reads from a stream. Values are loaded into memory (the stream may not outlive this call), except beyond <see cref="DicomReadOptions.StopBeforeTag"/>.</summary>
    public static DicomFile Read(Stream stream, DicomReadOptions? options = null) =>
        DicomParser.Read(stream, options ?? DicomReadOptions.Default, null);

    /// <summary>
    /// Reads a file off the calling thread's I/O path: the header is parsed from a buffer filled asynchronously, large
    /// values stay in the file.
    /// </summary>
    public static async Task<DicomFile> OpenAsync(string path, DicomReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var full = System.IO.Path.GetFullPath(path);
        return await Task.Run(() => DicomParser.Read(stream, options ?? DicomReadOptions.Default, full), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads a non-seekable stream (network, HTTP body) by copying it asynchronously into memory first. For bodies that
    /// may be large, spool them to a file and use <see cref="OpenAsync"/>, so that bulk data stays on disk.
    /// </summary>
    public static async Task<DicomFile> ReadAsync(Stream stream, DicomReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var spool = new MemoryStream();
        await stream.CopyToAsync(spool, cancellationToken).ConfigureAwait(false);
        spool.Position = 0;
        return Read(spool, options);
    }

    public void Save(string path, TransferSyntax? transferSyntax = null, DicomWriteOptions? options = null)
    {
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920))
            {
                Save(stream, transferSyntax, options);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public void Save(Stream stream, TransferSyntax? transferSyntax = null, DicomWriteOptions? options = null) =>
        DicomWriter.WriteFile(stream, this, transferSyntax ?? TransferSyntax, options ?? DicomWriteOptions.Default);
}
