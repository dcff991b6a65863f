using System.Text;
using System.Text.Json;

namespace TciaPacs.Dicom.Formats.Json;

/// <summary>
/// The DICOM JSON Model (PS3.18 Annex F), both ways. Text is written as Unicode, decoded with each data set's
/// Specific Character Set; (0008,0005) itself is kept as metadata (PS3.18 F.2.2 note 3). Data sets read from JSON hold
/// their text as UTF-8, with (0008,0005) set to ISO_IR 192 when any of it is not ASCII.
/// </summary>
public static class DicomJson
{
    /// <summary>Writes one DICOM JSON Model object.</summary>
    public static void Write(Utf8JsonWriter writer, DicomDataset dataset, DicomJsonOptions? options = null) =>
        new JsonDatasetWriter(writer, options ?? DicomJsonOptions.Default).WriteDataset(dataset);

    /// <summary>Writes a JSON array of DICOM JSON Model objects, as QIDO-RS and metadata responses are (PS3.18 F.2.1).</summary>
    public static void WriteArray(Utf8JsonWriter writer, IEnumerable<DicomDataset> datasets, DicomJsonOptions? options = null)
    {
        var w = new JsonDatasetWriter(writer, options ?? DicomJsonOptions.Default);
        writer.WriteStartArray();
        foreach (var ds in datasets) w.WriteDataset(ds);
        writer.WriteEndArray();
    }

    public static string Serialize(DicomDataset dataset, DicomJsonOptions? options = null)
    {
        options ??= DicomJsonOptions.Default;
        using var buffer = new MemoryStream();
        using (var writer = CreateWriter(buffer, options)) Write(writer, dataset, options);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static string SerializeArray(IEnumerable<DicomDataset> datasets, DicomJsonOptions? options = null)
    {
        options ??= DicomJsonOptions.Default;
        using var buffer = new MemoryStream();
        using (var writer = CreateWriter(buffer, options)) WriteArray(writer, datasets, options);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Writes UTF-8 JSON to a stream, flushing as top-level elements complete so that large data sets are not held whole.</summary>
    public static async Task SerializeAsync(Stream stream, DicomDataset dataset, DicomJsonOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DicomJsonOptions.Default;
        await using var writer = CreateWriter(stream, options);
        await WriteObjectAsync(writer, new JsonDatasetWriter(writer, options), dataset, cancellationToken).ConfigureAwait(false);
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a JSON array of data sets to a stream (QIDO-RS), flushing as it goes.</summary>
    public static async Task SerializeArrayAsync(Stream stream, IEnumerable<DicomDataset> datasets, DicomJsonOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= DicomJsonOptions.Default;
        await using var writer = CreateWriter(stream, options);
        var w = new JsonDatasetWriter(writer, options);
        writer.WriteStartArray();
        foreach (var ds in datasets) await WriteObjectAsync(writer, w, ds, cancellationToken).ConfigureAwait(false);
        writer.WriteEndArray();
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteObjectAsync(Utf8JsonWriter writer, JsonDatasetWriter w, DicomDataset dataset, CancellationToken cancellationToken)
    {
        const int flushAt = 64 * 1024;
        writer.WriteStartObject();
        foreach (var e in dataset)
        {
            w.WriteElement(dataset, e);
            if (writer.BytesPending >= flushAt) await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        writer.WriteEndObject();
    }

    /// <summary>Reads one data set; the reader is on its StartObject token, or before it, and ends on its EndObject.</summary>
    public static DicomDataset Read(ref Utf8JsonReader reader, DicomJsonOptions? options = null) =>
        new JsonDatasetReader(options ?? DicomJsonOptions.Default).ReadRoot(ref reader);

    /// <summary>Reads a JSON array of data sets; the reader is on its StartArray token, or before it.</summary>
    public static IReadOnlyList<DicomDataset> ReadArray(ref Utf8JsonReader reader, DicomJsonOptions? options = null) =>
        new JsonDatasetReader(options ?? DicomJsonOptions.Default).ReadArray(ref reader);

    /// <exception cref="DicomFormatException">The JSON is malformed or not a DICOM JSON Model object.</exception>
    public static DicomDataset Deserialize(string json, DicomJsonOptions? options = null) => Deserialize(Encoding.UTF8.GetBytes(json), options);

    public static DicomDataset Deserialize(ReadOnlySpan<byte> utf8Json, DicomJsonOptions? options = null)
    {
        options ??= DicomJsonOptions.Default;
        var reader = CreateReader(utf8Json, options);
        var ds = Read(ref reader, options);
        EnsureEnd(ref reader);
        return ds;
    }

    public static DicomDataset Deserialize(Stream stream, DicomJsonOptions? options = null) => Deserialize(ReadAll(stream), options);

    public static IReadOnlyList<DicomDataset> DeserializeArray(string json, DicomJsonOptions? options = null) => DeserializeArray(Encoding.UTF8.GetBytes(json), options);

    public static IReadOnlyList<DicomDataset> DeserializeArray(ReadOnlySpan<byte> utf8Json, DicomJsonOptions? options = null)
    {
        options ??= DicomJsonOptions.Default;
        var reader = CreateReader(utf8Json, options);
        var list = ReadArray(ref reader, options);
        EnsureEnd(ref reader);
        return list;
    }

    public static IReadOnlyList<DicomDataset> DeserializeArray(Stream stream, DicomJsonOptions? options = null) => DeserializeArray(ReadAll(stream), options);

    private static Utf8JsonWriter CreateWriter(Stream stream, DicomJsonOptions options) =>
        new(stream, new JsonWriterOptions { Indented = options.Indented, SkipValidation = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static Utf8JsonReader CreateReader(ReadOnlySpan<byte> utf8Json, DicomJsonOptions options)
    {
        // A UTF-8 byte order mark is tolerated, as RFC 8259 section 8.1 allows parsers to.
        if (utf8Json.StartsWith("\uFEFF"u8)) utf8Json = utf8Json[3..];
        return new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = options.MaxDepth, CommentHandling = JsonCommentHandling.Skip });
    }

    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        try
        {
            if (reader.Read()) throw new DicomFormatException("", $"unexpected content after the end of the JSON value, at byte {reader.TokenStartIndex}");
        }
        catch (JsonException ex)
        {
            throw new DicomFormatException("", $"malformed JSON after the data set: {ex.Message}", ex);
        }
    }

    private static byte[] ReadAll(Stream stream)
    {
        if (stream is MemoryStream ms) return ms.ToArray();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
