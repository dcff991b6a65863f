using Microsoft.AspNetCore.Http;

namespace TciaPacs.Web;

/// <summary>
/// Which service a request came to: <c>/dicom-web</c> (every collection; STOW stores into the default one) or
/// <c>/collections/{name}/dicom-web</c> (that collection only), the collections its caller sees, and the absolute base
/// URL its links start with.
/// </summary>
internal sealed record RequestScope(string? Collection, string BaseUrl)
{
    /// <summary>The collections the caller may see (<see cref="DicomWebCaller.Visible"/>): null for all.</summary>
    public IReadOnlySet<string>? Visible { get; init; }

    /// <summary>Who asks, by which door and from where, when what the request finds leaves the archive (a retrieval): the audit's subject; else null.</summary>
    public (string Who, string Door, string? Remote)? Retriever { get; init; }

    /// <summary>The collections a query may see: those of the base and of the caller; null for all.</summary>
    public IReadOnlySet<string>? Collections =>
        Collection != null ? new HashSet<string>(StringComparer.Ordinal) { Collection }.Where(Sees).ToHashSet(StringComparer.Ordinal) : Visible;

    /// <summary>Whether an instance of <paramref name="collection"/> is within the base and seen by the caller.</summary>
    public bool Sees(string collection) => (Collection == null || collection == Collection) && (Visible == null || Visible.Contains(collection));

    public static RequestScope From(HttpContext context)
    {
        var collection = context.Request.RouteValues.TryGetValue("collection", out var c) ? c as string : null;
        var prefix = collection == null ? "/dicom-web" : $"/collections/{Uri.EscapeDataString(collection)}/dicom-web";
        var request = context.Request;
        var caller = DicomWebCaller.Of(context);
        return new RequestScope(collection, $"{request.Scheme}://{request.Host}{request.PathBase}{prefix}")
        {
            Visible = caller.Visible,
            Retriever = context.Items.TryGetValue(DicomWebService.OperationKey, out var op) && op is DicomWebOperation.Retrieve
                ? (caller.Name, request.Path.StartsWithSegments("/nbia-api") ? "nbia" : "dicomweb", context.Connection.RemoteIpAddress?.ToString())
                : null,
        };
    }

    public string StudyUrl(string study) => $"{BaseUrl}/studies/{study}";

    public string SeriesUrl(string study, string series) => $"{StudyUrl(study)}/series/{series}";

    public string InstanceUrl(string study, string series, string sop) => $"{SeriesUrl(study, series)}/instances/{sop}";
}
