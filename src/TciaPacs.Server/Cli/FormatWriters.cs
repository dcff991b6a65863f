using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.Formats.Xml;

namespace TciaPacs.Server.Cli;

/// <summary>The data set (not the file meta, as dcm2json) as PS3.18 JSON or PS3.19 XML; binary values inline.</summary>
internal static class FormatWriters
{
    public static string Json(DicomFile file) => DicomJson.Serialize(file.Dataset, new DicomJsonOptions { Indented = true });
    public static string Xml(DicomFile file) => DicomXml.Serialize(file.Dataset, new DicomXmlOptions { Indented = true });
}
