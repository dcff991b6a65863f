using System.Globalization;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats.Json;

namespace TciaPacs.Archive.Sqlite;

/// <summary>
/// Level documents as DICOM JSON (PS3.18 F): text is stored decoded, and reads back as UTF-8 with (0008,0005)
/// ISO_IR 192 when any of it is not ASCII, which is what responses need.
/// </summary>
internal static class Documents
{
    private static readonly DicomJsonOptions Options = new() { BulkDataThreshold = long.MaxValue, IncludeEmptyValues = true };

    public static string Write(DicomDataset ds) => DicomJson.Serialize(ds, Options);

    public static DicomDataset Read(string json) => DicomJson.Deserialize(json, Options);

    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    /// <summary>A DA value as yyyyMMdd for range comparison in SQL, or null when it is not one date.</summary>
    public static string? NormalizedDate(string? value) =>
        value is { Length: > 0 } && !value.Contains('\\') && Dicom.Values.DicomDateTime.ParseDate(value) is { } d ? Dicom.Values.DicomDateTime.FormatDate(d) : null;
}
