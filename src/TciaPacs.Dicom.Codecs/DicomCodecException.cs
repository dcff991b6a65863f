namespace TciaPacs.Dicom.Codecs;

/// <summary>Pixel data that a codec cannot decode or encode: corrupt or truncated input, or attributes that contradict it.</summary>
public sealed class DicomCodecException : Exception
{
    public DicomCodecException(string message) : base(message) { }
    public DicomCodecException(string message, Exception inner) : base(message, inner) { }
}
