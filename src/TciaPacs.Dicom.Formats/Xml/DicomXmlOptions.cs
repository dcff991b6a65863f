using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Formats.Xml;

/// <summary>How the Native DICOM Model (PS3.19 Annex A) is written and read.</summary>
public sealed record DicomXmlOptions
{
    /// <summary>Values of OB, OD, OF, OL, OV, OW and UN at least this many bytes long become &lt;BulkData uri&gt; when <see cref="BulkDataUriFactory"/> gives a URI.</summary>
    public long BulkDataThreshold { get; init; } = 1024;

    /// <summary>The URI of an element's bulk data, or null to write it as &lt;InlineBinary&gt;. Unset: every value is inline.</summary>
    public Func<DicomElement, DicomElementPath, string?>? BulkDataUriFactory { get; init; }

    /// <summary>Writes the optional keyword attribute (PS3.19 A.1.1) for dictionary tags. On by default.</summary>
    public bool WriteKeywords { get; init; } = true;

    /// <summary>Writes elements without a value as a bare &lt;DicomAttribute&gt;. Turn off to drop them.</summary>
    public bool IncludeEmptyValues { get; init; } = true;

    public bool Indented { get; init; } = true;

    /// <summary>Fetches the value behind &lt;BulkData uri&gt; when reading; unset, the element remembers the URI (<see cref="BulkDataUriBuffer"/>).</summary>
    public Func<string, DicomBuffer>? BulkDataResolver { get; init; }

    public static readonly DicomXmlOptions Default = new();
}
