namespace TciaPacs.Web;

/// <summary>The media types of PS3.18 8.7 that we produce or accept.</summary>
internal static class MediaTypes
{
    public const string Dicom = "application/dicom";
    public const string DicomJson = "application/dicom+json";
    public const string DicomXml = "application/dicom+xml";
    public const string Json = "application/json";
    public const string OctetStream = "application/octet-stream";
    public const string MultipartRelated = "multipart/related";
    public const string Jpeg = "image/jpeg";
    public const string Png = "image/png";

    /// <summary>The media type of a frame in an encapsulated transfer syntax (PS3.18 Table 8.7.3-2), or null when native.</summary>
    public static string? ForFrames(string transferSyntaxUid) => transferSyntaxUid switch
    {
        "1.2.840.10008.1.2.4.50" or "1.2.840.10008.1.2.4.51" or "1.2.840.10008.1.2.4.57" or "1.2.840.10008.1.2.4.70" => Jpeg,
        "1.2.840.10008.1.2.4.80" or "1.2.840.10008.1.2.4.81" => "image/jls",
        "1.2.840.10008.1.2.4.90" or "1.2.840.10008.1.2.4.91" => "image/jp2",
        "1.2.840.10008.1.2.4.92" or "1.2.840.10008.1.2.4.93" => "image/jpx",
        "1.2.840.10008.1.2.4.201" or "1.2.840.10008.1.2.4.202" or "1.2.840.10008.1.2.4.203" => "image/jphc",
        "1.2.840.10008.1.2.5" => "image/dicom-rle",
        "1.2.840.10008.1.2.4.100" or "1.2.840.10008.1.2.4.101" or "1.2.840.10008.1.2.4.102" or "1.2.840.10008.1.2.4.103"
            or "1.2.840.10008.1.2.4.104" or "1.2.840.10008.1.2.4.105" or "1.2.840.10008.1.2.4.106" => "video/mpeg",
        _ => null,
    };

    /// <summary>The transfer syntax a frame media type means without a transfer-syntax parameter (PS3.18 Table 8.7.3-5), or null.</summary>
    public static string? DefaultSyntaxForFrames(string mediaType) => mediaType switch
    {
        Jpeg => "1.2.840.10008.1.2.4.50",
        "image/jls" => "1.2.840.10008.1.2.4.80",
        "image/jp2" => "1.2.840.10008.1.2.4.90",
        "image/jpx" => "1.2.840.10008.1.2.4.92",
        "image/jphc" => "1.2.840.10008.1.2.4.201",
        "image/dicom-rle" => "1.2.840.10008.1.2.5",
        _ => null,
    };
}
