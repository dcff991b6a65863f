using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace TciaPacs.Web;

/// <summary>
/// What this service supports, as JSON (PS3.18 8.9 allows a JSON capabilities description beside the WADL): every
/// resource with its methods, media types and parameters. <c>GET</c> or <c>OPTIONS</c> on the service base.
/// </summary>
internal static class Capabilities
{
    private static readonly object Description = new
    {
        service = "TciaPacs DICOMweb",
        standard = "DICOM PS3.18",
        conformance = "conformance/dicomweb.md",
        resources = new object[]
        {
            new { path = "/studies", methods = new[] { "GET", "POST" }, transactions = new[] { "QIDO-RS", "STOW-RS" } },
            new { path = "/studies/{study}", methods = new[] { "GET", "POST" }, transactions = new[] { "WADO-RS", "STOW-RS" } },
            new { path = "/series", methods = new[] { "GET" }, transactions = new[] { "QIDO-RS" } },
            new { path = "/instances", methods = new[] { "GET" }, transactions = new[] { "QIDO-RS" } },
            new { path = "/studies/{study}/series", methods = new[] { "GET" }, transactions = new[] { "QIDO-RS" } },
            new { path = "/studies/{study}/instances", methods = new[] { "GET" }, transactions = new[] { "QIDO-RS" } },
            new { path = "/studies/{study}/series/{series}/instances", methods = new[] { "GET" }, transactions = new[] { "QIDO-RS" } },
            new { path = "/studies/{study}/series/{series}", methods = new[] { "GET" }, transactions = new[] { "WADO-RS" } },
            new { path = "/studies/{study}/series/{series}/instances/{instance}", methods = new[] { "GET" }, transactions = new[] { "WADO-RS" } },
            new { path = "/studies/{study}[/series/{series}[/instances/{instance}]]/metadata", methods = new[] { "GET" }, transactions = new[] { "WADO-RS" } },
            new { path = "/studies/{study}/series/{series}/instances/{instance}/frames/{frames}", methods = new[] { "GET" }, transactions = new[] { "WADO-RS" } },
            new { path = "/studies/{study}/series/{series}/instances/{instance}/bulkdata/{path}", methods = new[] { "GET" }, transactions = new[] { "WADO-RS" } },
            new { path = "/studies/{study}[/series/{series}[/instances/{instance}[/frames/{frames}]]]/rendered", methods = new[] { "GET" }, transactions = new[] { "WADO-RS" } },
            new { path = "/studies/{study}[/series/{series}[/instances/{instance}[/frames/{frames}]]]/thumbnail", methods = new[] { "GET" }, transactions = new[] { "WADO-RS" } },
            new { path = "/wado", methods = new[] { "GET" }, transactions = new[] { "WADO-URI" } },
        },
        mediaTypes = new
        {
            stow = new[] { "multipart/related; type=\"application/dicom\"" },
            qido = new[] { "application/dicom+json", "multipart/related; type=\"application/dicom+xml\"" },
            retrieve = new[] { "multipart/related; type=\"application/dicom\"; transfer-syntax={*|1.2.840.10008.1.2|1.2.840.10008.1.2.1|1.2.840.10008.1.2.2|1.2.840.10008.1.2.1.99}", "application/dicom (one instance)" },
            metadata = new[] { "application/dicom+json", "multipart/related; type=\"application/dicom+xml\"" },
            frames = new[] { "multipart/related; type=\"application/octet-stream\"; transfer-syntax={*|1.2.840.10008.1.2.1}", "multipart/related; type=\"image/jpeg|image/jls|image/jp2|image/dicom-rle\" (as stored)" },
            bulkdata = new[] { "multipart/related; type=\"application/octet-stream\"", "application/octet-stream", "Range: bytes=a-b" },
            rendered = new[] { "image/jpeg", "image/png" },
        },
        qidoParameters = new[] { "{keyword|tag}[.{keyword|tag}]={value}", "includefield={keyword|tag|all}", "fuzzymatching={true|false}", "limit={n}", "offset={n}" },
        renderedParameters = new[] { "window={center},{width},{linear|sigmoid}", "viewport={vw},{vh}", "quality={1-100}" },
    };

    public static async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers.Allow = "GET, POST, OPTIONS";
        context.Response.ContentType = MediaTypes.Json;
        await JsonSerializer.SerializeAsync(context.Response.Body, Description, new JsonSerializerOptions { WriteIndented = true }, context.RequestAborted).ConfigureAwait(false);
    }
}
