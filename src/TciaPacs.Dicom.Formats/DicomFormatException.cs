namespace TciaPacs.Dicom.Formats;

/// <summary>
/// A DICOM JSON (PS3.18 Annex F) or Native DICOM Model XML (PS3.19 Annex A) document that cannot be read: says where
/// (the path of tags and item indexes, e.g. <c>(0008,1115)[0].(0008,1150)</c>) and why.
/// </summary>
public sealed class DicomFormatException(string path, string reason, Exception? inner = null)
    : FormatException(path.Length == 0 ? reason : $"{path}: {reason}", inner)
{
    /// <summary>The element where reading failed; empty at the document level.</summary>
    public string Path { get; } = path;

    public string Reason { get; } = reason;
}
