using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Formats;

/// <summary>
/// The value of an element that a DICOM JSON or XML document gave only as a bulk data reference (PS3.18 F.2.6,
/// PS3.19 A.1.5 BulkData) and that no resolver fetched. The value is unknown here: its length reads as 0 and reading
/// the bytes throws. Writing the data set back to JSON or XML writes the same URI again.
/// </summary>
public sealed class BulkDataUriBuffer(string uri) : DicomBuffer
{
    public string Uri { get; } = uri;

    public override long Length => 0;

    public override ReadOnlyMemory<byte> GetBytes() => throw NotFetched();

    public override Stream OpenRead() => throw NotFetched();

    private InvalidOperationException NotFetched() =>
        new($"The value is bulk data at '{Uri}' that was not fetched: set BulkDataResolver when reading, or retrieve the URI.");

    public override string ToString() => $"BulkDataURI {Uri}";
}
