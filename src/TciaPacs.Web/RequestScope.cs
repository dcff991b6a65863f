using Microsoft.AspNetCore.Http;

namespace TciaPacs.Web;

/// <summary>
/// Which service a request came to: <c>/dicom-web</c> (every collection; STOW stores into the default one) or
/// <c>/collections/{name}/dicom-web</c> (that collection only), and the absolute base URL its links start with.
/// </summary>
internal sealed record RequestScope(string? Collection, string BaseUrl)
{
    /// <summary>The collections a query may see: null for all.</summary>
    public IReadOnlySet<string>? Collections => Collection == null ? null : new HashSet<string>(StringComparer.Ordinal) { Collection };

    public static RequestScope From(HttpContext context)
    {
        var collection = context.Request.RouteValues.TryGetValue("collection", out var c) ? c as string : null;
        var prefix = collection == null ? "/dicom-web" : $"/collections/{Uri.EscapeDataString(collection)}/dicom-web";
        var request = context.Request;
        return new RequestScope(collection, $"{request.Scheme}://{request.Host}{request.PathBase}{prefix}");
    }

    public string StudyUrl(string study) => $"{BaseUrl}/studies/{study}";

    public string SeriesUrl(string study, string series) => $"{StudyUrl(study)}/series/{series}";

    public string InstanceUrl(string study, string series, string sop) => $"{SeriesUrl(study, series)}/instances/{sop}";
}
