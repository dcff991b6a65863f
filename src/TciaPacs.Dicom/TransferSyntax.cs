namespace TciaPacs.Dicom;

/// <summary>How a data set is encoded (PS3.5 Section 10): VR explicitness, byte order, deflate, encapsulation.</summary>
public sealed class TransferSyntax : IEquatable<TransferSyntax>
{
    private TransferSyntax(string uid, bool explicitVR, bool littleEndian, bool deflated, bool encapsulated, bool lossy = false)
    {
        Uid = uid;
        IsExplicitVR = explicitVR;
        IsLittleEndian = littleEndian;
        IsDeflated = deflated;
        IsEncapsulated = encapsulated;
        IsLossy = lossy;
    }

    public string Uid { get; }
    public string Name => DicomUids.Find(Uid)?.Name ?? Uid;
    public bool IsExplicitVR { get; }
    public bool IsLittleEndian { get; }
    public bool IsDeflated { get; }

    /// <summary>Pixel data is encapsulated in fragments (PS3.5 A.4).</summary>
    public bool IsEncapsulated { get; }

    public bool IsLossy { get; }

    /// <summary>Native (not encapsulated) and not deflated: what we can write from any native data set.</summary>
    public bool IsUncompressed => !IsEncapsulated && !IsDeflated;

    public static readonly TransferSyntax ImplicitVRLittleEndian = new("1.2.840.10008.1.2", false, true, false, false);
    public static readonly TransferSyntax ExplicitVRLittleEndian = new("1.2.840.10008.1.2.1", true, true, false, false);
    public static readonly TransferSyntax DeflatedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.99", true, true, true, false);
    public static readonly TransferSyntax ExplicitVRBigEndian = new("1.2.840.10008.1.2.2", true, false, false, false);
    public static readonly TransferSyntax RLELossless = new("1.2.840.10008.1.2.5", true, true, false, true);
    public static readonly TransferSyntax JPEGBaseline8Bit = new("1.2.840.10008.1.2.4.50", true, true, false, true, true);
    public static readonly TransferSyntax JPEGLossless = new("1.2.840.10008.1.2.4.57", true, true, false, true);
    public static readonly TransferSyntax JPEGLosslessSV1 = new("1.2.840.10008.1.2.4.70", true, true, false, true);
    public static readonly TransferSyntax JPEGLSLossless = new("1.2.840.10008.1.2.4.80", true, true, false, true);
    public static readonly TransferSyntax JPEG2000Lossless = new("1.2.840.10008.1.2.4.90", true, true, false, true);
    public static readonly TransferSyntax JPEG2000 = new("1.2.840.10008.1.2.4.91", true, true, false, true, true);
    public static readonly TransferSyntax EncapsulatedUncompressedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.98", true, true, false, true);
    public static readonly TransferSyntax HTJ2KLossless = new("1.2.840.10008.1.2.4.201", true, true, false, true);
    public static readonly TransferSyntax HTJ2KLosslessRPCL = new("1.2.840.10008.1.2.4.202", true, true, false, true);
    public static readonly TransferSyntax HTJ2K = new("1.2.840.10008.1.2.4.203", true, true, false, true, true);
    public static readonly TransferSyntax DeflatedImageFrameCompression = new("1.2.840.10008.1.2.8.1", true, true, false, true);

    private static readonly Dictionary<string, TransferSyntax> Known = new[]
    {
        ImplicitVRLittleEndian, ExplicitVRLittleEndian, DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, RLELossless,
        JPEGBaseline8Bit, JPEGLossless, JPEGLosslessSV1, JPEGLSLossless, JPEG2000Lossless, JPEG2000, EncapsulatedUncompressedExplicitVRLittleEndian,
        HTJ2KLossless, HTJ2KLosslessRPCL, HTJ2K, DeflatedImageFrameCompression,
    }.ToDictionary(t => t.Uid, StringComparer.Ordinal);

    /// <summary>
    /// The transfer syntax of a UID. Every registered transfer syntax other than the four native ones is encapsulated
    /// explicit VR little endian (PS3.5 A.4); an unknown UID is treated the same way, as dcmtk does for private syntaxes.
    /// </summary>
    public static TransferSyntax Lookup(string uid)
    {
        uid = uid.TrimEnd('\0', ' ');
        if (Known.TryGetValue(uid, out var ts)) return ts;
        // JPEG Extended (4.51), JPEG-LS near-lossless (4.81), JPEG XL JPEG Recompression (4.111, a lossy JPEG kept
        // without further loss) and JPEG XL (4.112) may be lossy without saying so in their names.
        var lossy = DicomUids.Find(uid)?.Name.Contains("Lossy", StringComparison.OrdinalIgnoreCase) == true
                    || uid is "1.2.840.10008.1.2.4.51" or "1.2.840.10008.1.2.4.81" or "1.2.840.10008.1.2.4.111" or "1.2.840.10008.1.2.4.112";
        return new TransferSyntax(uid, true, true, false, true, lossy);
    }

    /// <summary>Native transfer syntaxes a data set can be transcoded to without a codec.</summary>
    public static IReadOnlyList<TransferSyntax> Uncompressed { get; } = [ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian];

    public bool Equals(TransferSyntax? other) => other is not null && other.Uid == Uid;
    public override bool Equals(object? obj) => Equals(obj as TransferSyntax);
    public override int GetHashCode() => Uid.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Name;
}
