using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TciaPacs.Dicom.Formats.Internal;
using TciaPacs.Dicom.IO;

namespace TciaPacs.Dicom.Formats.Json;

/// <summary>
/// Reads DICOM JSON Model objects (PS3.18 F.2) with a forward-only <see cref="Utf8JsonReader"/>. Errors name the
/// element (path of tags and item indexes) and the reason.
/// </summary>
internal sealed class JsonDatasetReader
{
    private readonly DicomJsonOptions _options;
    private readonly PathTracker _path = new();
    private readonly ElementFactory _factory;

    public JsonDatasetReader(DicomJsonOptions options)
    {
        _options = options;
        _factory = new ElementFactory(_path);
    }

    /// <summary>Reads one data set; the reader is on its StartObject token, or before it.</summary>
    public DicomDataset ReadRoot(ref Utf8JsonReader reader)
    {
        try
        {
            if (reader.TokenType is JsonTokenType.None or JsonTokenType.PropertyName or JsonTokenType.Comment) Next(ref reader);
            if (reader.TokenType != JsonTokenType.StartObject)
                throw _factory.Error($"expected a JSON object (a DICOM data set), found {Describe(reader.TokenType)}");
            var ds = ReadDataset(ref reader);
            _factory.FinishCharacterSet(ds);
            return ds;
        }
        catch (JsonException ex)
        {
            throw _factory.Error($"malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {ex.Message}", ex);
        }
    }

    /// <summary>Reads an array of data sets (a QIDO-RS response); the reader is on its StartArray token, or before it.</summary>
    public List<DicomDataset> ReadArray(ref Utf8JsonReader reader)
    {
        try
        {
            if (reader.TokenType is JsonTokenType.None or JsonTokenType.Comment) Next(ref reader);
            if (reader.TokenType != JsonTokenType.StartArray)
                throw _factory.Error($"expected a JSON array of DICOM data sets, found {Describe(reader.TokenType)}");
            var result = new List<DicomDataset>();
            while (Next(ref reader) != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw _factory.Error($"data set {result.Count}: expected a JSON object, found {Describe(reader.TokenType)}");
                var ds = ReadDataset(ref reader);
                _factory.FinishCharacterSet(ds);
                result.Add(ds);
            }
            return result;
        }
        catch (JsonException ex)
        {
            throw _factory.Error($"malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {ex.Message}", ex);
        }
    }

    private DicomDataset ReadDataset(ref Utf8JsonReader reader)
    {
        var ds = new DicomDataset();
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            if (key.Length != 8 || !uint.TryParse(key, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
                throw _factory.Error($"'{key}' is not a tag: attribute names are 8 hexadecimal digits GGGGEEEE (PS3.18 F.2.2)");
            var tag = new DicomTag(value);
            _path.Enter(tag);
            if (Next(ref reader) != JsonTokenType.StartObject)
                throw _factory.Error($"expected an attribute object {{\"vr\": …}}, found {Describe(reader.TokenType)}");
            var element = ReadAttribute(ref reader, tag);
            _path.Leave();
            ds.Add(element);
        }
        return ds;
    }

    private DicomElement ReadAttribute(ref Utf8JsonReader reader, DicomTag tag)
    {
        VR? vr = null;
        DicomElement? fromValue = null;
        byte[]? deferredValue = null; // "Value" before "vr": kept raw until the VR is known
        byte[]? inline = null;
        string? uri = null;
        var kinds = 0;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            Next(ref reader);
            switch (name)
            {
                case "vr":
                    var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    if (!VR.TryParse(text, out var parsed)) throw _factory.Error($"\"vr\" is {Describe(ref reader)}, not a VR of PS3.5 Table 6.2-1");
                    vr = parsed;
                    break;
                case "Value":
                    kinds++;
                    if (reader.TokenType == JsonTokenType.Null) { kinds--; break; }
                    if (reader.TokenType != JsonTokenType.StartArray) throw _factory.Error($"\"Value\" must be an array, found {Describe(reader.TokenType)}");
                    if (vr is { } known) fromValue = ReadValue(ref reader, tag, known);
                    else
                    {
                        using var doc = JsonDocument.ParseValue(ref reader);
                        deferredValue = Encoding.UTF8.GetBytes(doc.RootElement.GetRawText());
                    }
                    break;
                case "InlineBinary":
                    kinds++;
                    if (reader.TokenType != JsonTokenType.String) throw _factory.Error($"\"InlineBinary\" must be a base64 string, found {Describe(reader.TokenType)}");
                    try
                    {
                        inline = reader.GetBytesFromBase64();
                    }
                    catch (FormatException ex)
                    {
                        throw _factory.Error("\"InlineBinary\" is not valid base64 (PS3.18 F.2.7)", ex);
                    }
                    break;
                case "BulkDataURI":
                    kinds++;
                    if (reader.TokenType != JsonTokenType.String) throw _factory.Error($"\"BulkDataURI\" must be a string, found {Describe(reader.TokenType)}");
                    uri = reader.GetString();
                    break;
                default:
                    reader.Skip(); // e.g. "keyword", which some writers add
                    break;
            }
        }
        if (vr is not { } v) throw _factory.Error("the attribute object has no \"vr\" (PS3.18 F.2.2 requires one)");
        if (kinds > 1) throw _factory.Error("an attribute has at most one of \"Value\", \"InlineBinary\" and \"BulkDataURI\" (PS3.18 F.2.2)");
        if (deferredValue != null)
        {
            var inner = new Utf8JsonReader(deferredValue, new JsonReaderOptions { MaxDepth = _options.MaxDepth });
            inner.Read();
            fromValue = ReadValue(ref inner, tag, v);
        }
        if (fromValue != null) return fromValue;
        if ((inline != null || uri != null) && v == VR.SQ) throw _factory.Error("a sequence (SQ) has items in \"Value\", not binary data");
        if (inline != null) return _factory.Binary(tag, v, inline);
        if (uri != null) return new DicomElement(tag, v, _options.BulkDataResolver?.Invoke(uri) ?? new BulkDataUriBuffer(uri));
        return v == VR.SQ ? new DicomSequence(tag) : new DicomElement(tag, v, DicomBuffer.Empty); // PS3.18 F.2.5
    }

    /// <summary>The "Value" array; the reader is on its StartArray.</summary>
    private DicomElement ReadValue(ref Utf8JsonReader reader, DicomTag tag, VR vr)
    {
        if (vr == VR.SQ)
        {
            var items = new List<DicomDataset>();
            while (Next(ref reader) != JsonTokenType.EndArray)
            {
                _path.EnterItem(items.Count);
                if (reader.TokenType == JsonTokenType.Null) items.Add(new DicomDataset());
                else if (reader.TokenType != JsonTokenType.StartObject) throw _factory.Error($"a sequence item must be an object, found {Describe(reader.TokenType)}");
                else items.Add(ReadDataset(ref reader));
                _path.LeaveItem();
            }
            return new DicomSequence(tag, items);
        }
        var values = new List<string?>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.Null:
                    values.Add(null); // PS3.18 F.2.5
                    break;
                case JsonTokenType.String:
                    values.Add(reader.GetString());
                    break;
                case JsonTokenType.Number when vr != VR.PN && vr != VR.AT:
                    // The raw digits: DS keeps its precision, and UV/SV beyond 2^53 are not rounded through a double.
                    values.Add(Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan));
                    break;
                case JsonTokenType.StartObject when vr == VR.PN:
                    values.Add(ReadPersonName(ref reader));
                    break;
                default:
                    throw _factory.Error($"value {values.Count + 1} is {Describe(ref reader)}, which is not a {vr} value (PS3.18 Table F.2.3-1)");
            }
        }
        if (vr.IsString) return _factory.Text(tag, vr, values);
        return _factory.Numbers(tag, vr, values);
    }

    /// <summary>PN: { "Alphabetic": …, "Ideographic": …, "Phonetic": … } (PS3.18 F.2.2).</summary>
    private string ReadPersonName(ref Utf8JsonReader reader)
    {
        var groups = new string?[PersonNameGroups.GroupNames.Length];
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            Next(ref reader);
            var index = Array.IndexOf(PersonNameGroups.GroupNames, name);
            if (index < 0)
            {
                reader.Skip();
                continue;
            }
            if (reader.TokenType == JsonTokenType.Null) continue;
            if (reader.TokenType != JsonTokenType.String) throw _factory.Error($"person name group \"{name}\" must be a string, found {Describe(reader.TokenType)}");
            groups[index] = reader.GetString();
        }
        // Groups are positional: an absent middle group is empty, absent trailing groups are dropped (PS3.5 6.2.1.1).
        var last = Array.FindLastIndex(groups, g => g != null);
        for (var i = 0; i < last; i++) groups[i] ??= "";
        return PersonNameGroups.Join(groups, '=');
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read()) throw new JsonException("unexpected end of the JSON text", null, null, reader.BytesConsumed);
        return reader.TokenType;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.None => "nothing",
        _ => token.ToString(),
    };

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => $"\"{reader.GetString()}\"",
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
        _ => Describe(reader.TokenType),
    };
}
