namespace TciaPacs.Dicom;

/// <summary>The input is not DICOM we can read: says where (byte offset in the stream) and why.</summary>
public sealed class DicomParseException(string reason, long offset, Exception? inner = null)
    : Exception($"{reason} (at byte offset {offset})", inner)
{
    public string Reason { get; } = reason;
    public long Offset { get; } = offset;
}
