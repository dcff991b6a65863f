using Microsoft.Extensions.Primitives;

namespace TciaPacs.Web;

/// <summary>Content negotiation helpers over the Accept header (PS3.18 8.7.5).</summary>
internal static class Negotiation
{
    public static List<MediaRange> Accept(StringValues header) => MediaRange.ParseAccept(header.ToArray());

    /// <summary>True when the client ranks DICOM XML (single or multipart) above DICOM JSON.</summary>
    public static bool PrefersXml(StringValues header)
    {
        foreach (var r in Accept(header))
        {
            if (r.Is(MediaTypes.DicomXml) || (r.Is(MediaTypes.MultipartRelated) && r.PartType == MediaTypes.DicomXml)) return true;
            if (r.Is(MediaTypes.DicomJson) || r.Is(MediaTypes.Json) || r.IsWildcard || r.Type == "application/*") return false;
        }
        return false;
    }

    /// <summary>
    /// The response type of a JSON-or-XML resource (QIDO-RS, metadata): "json", "xml" (multipart of DICOM XML), or null
    /// when the Accept header allows neither (406).
    /// </summary>
    public static string? JsonOrXml(StringValues header)
    {
        foreach (var r in Accept(header))
        {
            if (r.Is(MediaTypes.DicomJson) || r.Is(MediaTypes.Json) || r.IsWildcard || r.Type == "application/*") return "json";
            if (r.Is(MediaTypes.MultipartRelated) && r.PartType == MediaTypes.DicomXml) return "xml";
            if (r.Is(MediaTypes.DicomXml)) return "xml";
        }
        return null;
    }
}
