using System.Text;
using System.Xml;

namespace TciaPacs.Dicom.Formats.Xml;

/// <summary>
/// The Native DICOM Model (PS3.19 Annex A), both ways. As with DICOM JSON, text is Unicode: decoded with each data
/// set's Specific Character Set on writing, encoded as UTF-8 (ISO_IR 192 when not ASCII) on reading.
/// </summary>
public static class DicomXml
{
    public static void Write(XmlWriter writer, DicomDataset dataset, DicomXmlOptions? options = null) =>
        new XmlDatasetWriter(writer, options ?? DicomXmlOptions.Default).WriteDocument(dataset);

    /// <summary>Writes a UTF-8 XML document to a stream.</summary>
    public static void Write(Stream stream, DicomDataset dataset, DicomXmlOptions? options = null)
    {
        options ??= DicomXmlOptions.Default;
        using var writer = XmlWriter.Create(stream, WriterSettings(options));
        writer.WriteStartDocument();
        Write(writer, dataset, options);
        writer.WriteEndDocument();
    }

    public static string Serialize(DicomDataset dataset, DicomXmlOptions? options = null)
    {
        using var buffer = new MemoryStream();
        Write(buffer, dataset, options);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <exception cref="DicomFormatException">The XML is malformed or not a Native DICOM Model document.</exception>
    public static DicomDataset Read(XmlReader reader, DicomXmlOptions? options = null) =>
        new XmlDatasetReader(options ?? DicomXmlOptions.Default).ReadDocument(reader);

    public static DicomDataset Deserialize(string xml, DicomXmlOptions? options = null)
    {
        using var reader = XmlReader.Create(new StringReader(xml), ReaderSettings);
        return Read(reader, options);
    }

    public static DicomDataset Deserialize(Stream stream, DicomXmlOptions? options = null)
    {
        using var reader = XmlReader.Create(stream, ReaderSettings);
        return Read(reader, options);
    }

    /// <summary>
    /// No DTDs (no entity expansion from hostile input). Character checking is off so that control characters a
    /// value held (written as character references) read back; XML 1.0 has no other way to carry them.
    /// </summary>
    public static XmlReaderSettings ReaderSettings => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        CheckCharacters = false,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    private static XmlWriterSettings WriterSettings(DicomXmlOptions options) => new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = options.Indented,
        // Carriage returns in values are kept as &#xD; rather than normalised away by the reader (XML 1.0 2.11).
        NewLineHandling = NewLineHandling.Entitize,
        CheckCharacters = false,
    };
}
