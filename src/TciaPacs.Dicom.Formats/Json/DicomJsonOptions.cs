using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Formats.Json;

/// <summary>How DICOM JSON (PS3.18 Annex F) is written and read.</summary>
public sealed record DicomJsonOptions
{
    /// <summary>
    /// Values of OB, OD, OF, OL, OV, OW and UN (encapsulated pixel data included) at least this many bytes long are
    /// written as a BulkDataURI (PS3.18 F.2.6) when <see cref="BulkDataUriFactory"/> gives one; shorter ones inline.
    /// </summary>
    public long BulkDataThreshold { get; init; } = 1024;

    /// <summary>
    /// Gives the URI of an element's bulk data (e.g. a WADO-RS bulkdata URL built from the instance and the path of
    /// tags and item indexes), or null to write the value inline. Unset: every value is inline.
    /// </summary>
    public Func<DicomElement, DicomElementPath, string?>? BulkDataUriFactory { get; init; }

    /// <summary>Adds a non-standard "keyword" member beside "vr" (for people reading the JSON; readers ignore it). Off by default.</summary>
    public bool WriteKeywords { get; init; }

    /// <summary>Writes elements without a value as objects with "vr" only, as PS3.18 F.2.5 requires. Turn off for compact responses.</summary>
    public bool IncludeEmptyValues { get; init; } = true;

    public bool Indented { get; init; }

    /// <summary>
    /// Fetches the value behind a BulkDataURI when reading. Unset: the element gets an empty value that remembers the
    /// URI (<see cref="BulkDataUriBuffer"/>), for the caller to fetch.
    /// </summary>
    public Func<string, DicomBuffer>? BulkDataResolver { get; init; }

    /// <summary>Maximum nesting of JSON (each sequence level takes three), a guard against hostile input.</summary>
    public int MaxDepth { get; init; } = 512;

    public static readonly DicomJsonOptions Default = new();
}
