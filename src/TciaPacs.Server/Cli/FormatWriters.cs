using TciaPacs.Dicom;

namespace TciaPacs.Server.Cli;

internal static class FormatWriters
{
    public static string Json(DicomFile file) => throw new NotSupportedException("JSON output is not built yet.");
    public static string Xml(DicomFile file) => throw new NotSupportedException("XML output is not built yet.");
}
