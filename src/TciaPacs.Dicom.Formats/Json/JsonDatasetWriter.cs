using System.Globalization;
using System.Text.Json;
using TciaPacs.Dicom.Formats.Internal;

namespace TciaPacs.Dicom.Formats.Json;

/// <summary>Writes data sets as DICOM JSON Model objects (PS3.18 F.2).</summary>
internal sealed class JsonDatasetWriter(Utf8JsonWriter writer, DicomJsonOptions options)
{
    private static readonly JsonEncodedText VrName = JsonEncodedText.Encode("vr");
    private static readonly JsonEncodedText KeywordName = JsonEncodedText.Encode("keyword");
    private static readonly JsonEncodedText ValueName = JsonEncodedText.Encode("Value");
    private static readonly JsonEncodedText InlineBinaryName = JsonEncodedText.Encode("InlineBinary");
    private static readonly JsonEncodedText BulkDataUriName = JsonEncodedText.Encode("BulkDataURI");
    private static readonly JsonEncodedText[] GroupNames = PersonNameGroups.GroupNames.Select(n => JsonEncodedText.Encode(n)).ToArray();

    /// <summary>2^53: integers beyond it lose precision in JavaScript, so SV and UV are strings there (PS3.18 Table F.2.3-1 note).</summary>
    private const long MaxSafeInteger = 9007199254740992;

    private readonly PathTracker _path = new();

    public void WriteDataset(DicomDataset ds)
    {
        writer.WriteStartObject();
        foreach (var e in ds) WriteElement(ds, e);
        writer.WriteEndObject();
    }

    /// <summary>One attribute object: "GGGGEEEE": { "vr": …, then at most one of Value, BulkDataURI, InlineBinary } (PS3.18 F.2.2).</summary>
    public void WriteElement(DicomDataset ds, DicomElement e)
    {
        if (e.Tag.IsGroupLength) return; // PS3.18 F.2.2: group lengths are not included
        if (!options.IncludeEmptyValues && ElementValues.IsEmpty(ds, e)) return;
        var vr = ElementValues.WrittenVR(e);
        writer.WritePropertyName(e.Tag.ToHex());
        writer.WriteStartObject();
        writer.WriteString(VrName, vr.Name);
        if (options.WriteKeywords && DicomDictionary.KeywordOf(e.Tag) is { Length: > 0 } keyword && !e.Tag.IsPrivate)
            writer.WriteString(KeywordName, keyword);
        _path.Enter(e.Tag);
        try
        {
            WriteValue(ds, e, vr);
        }
        finally
        {
            _path.Leave();
        }
        writer.WriteEndObject();
    }

    private void WriteValue(DicomDataset ds, DicomElement e, VR vr)
    {
        if (e.Buffer is BulkDataUriBuffer bulk)
        {
            writer.WriteString(BulkDataUriName, bulk.Uri);
            return;
        }
        switch (e)
        {
            case DicomSequence sq:
                WriteItems(sq);
                return;
            case DicomFragmentSequence:
                WriteBinary(e);
                return;
        }
        if (e.Buffer.Length == 0) return; // PS3.18 F.2.5: no Value at all
        if (ElementValues.IsBulkVR(vr))
        {
            WriteBinary(e);
            return;
        }
        if (vr.IsString)
        {
            var values = ElementValues.Strings(ds, e);
            if (values.Length == 0) return;
            writer.WriteStartArray(ValueName);
            foreach (var v in values)
            {
                if (v.Length == 0) writer.WriteNullValue(); // PS3.18 F.2.5: empty values in a multi-valued element
                else if (vr == VR.PN) WritePersonName(v);
                else if (vr == VR.DS || vr == VR.IS) WriteDecimal(v);
                else writer.WriteStringValue(v);
            }
            writer.WriteEndArray();
            return;
        }
        writer.WriteStartArray(ValueName);
        WriteNumbers(e, vr);
        writer.WriteEndArray();
    }

    private void WriteItems(DicomSequence sq)
    {
        if (sq.Items.Count == 0) return;
        writer.WriteStartArray(ValueName);
        for (var i = 0; i < sq.Items.Count; i++)
        {
            _path.EnterItem(i);
            WriteDataset(sq.Items[i]); // an empty item is an empty object (PS3.18 F.2.2)
            _path.LeaveItem();
        }
        writer.WriteEndArray();
    }

    /// <summary>InlineBinary: base64 of the little endian Value Field (PS3.18 F.2.7), or a BulkDataURI (F.2.6).</summary>
    private void WriteBinary(DicomElement e)
    {
        var length = ElementValues.BinaryLength(e);
        if (options.BulkDataUriFactory is { } factory && length >= options.BulkDataThreshold && factory(e, _path.Current) is { } uri)
        {
            writer.WriteString(BulkDataUriName, uri);
            return;
        }
        writer.WriteBase64String(InlineBinaryName, ElementValues.Bytes(e).Span);
    }

    /// <summary>PN: an object with the non-empty component groups (PS3.18 F.2.2).</summary>
    private void WritePersonName(string value)
    {
        writer.WriteStartObject();
        var groups = PersonNameGroups.Split(value);
        for (var g = 0; g < groups.Length; g++)
            if (groups[g].Length > 0) writer.WriteString(GroupNames[g], groups[g]);
        writer.WriteEndObject();
    }

    /// <summary>
    /// DS and IS are JSON numbers, written with the original digits (so "1.50" stays 1.50); a value that is not a JSON
    /// number ("+1", "01", ".5", "1.") is a string, which PS3.18 Table F.2.3-1 allows to preserve the original format.
    /// </summary>
    private void WriteDecimal(string v)
    {
        if (DicomNumberFormat.IsJsonNumber(v)) writer.WriteRawValue(v, skipInputValidation: true);
        else writer.WriteStringValue(v);
    }

    private void WriteNumbers(DicomElement e, VR vr)
    {
        if (vr == VR.AT)
        {
            foreach (var t in DicomDataset.GetTags(e)) writer.WriteStringValue(t.ToHex());
        }
        else if (vr == VR.FL)
        {
            foreach (var v in DicomDataset.GetNumbers<float>(e))
                if (float.IsFinite(v)) writer.WriteNumberValue(v); else writer.WriteStringValue(NonFinite(v));
        }
        else if (vr == VR.FD)
        {
            foreach (var v in DicomDataset.GetNumbers<double>(e))
                if (double.IsFinite(v)) writer.WriteNumberValue(v); else writer.WriteStringValue(NonFinite(v));
        }
        else if (vr == VR.UV)
        {
            foreach (var v in DicomDataset.GetNumbers<ulong>(e))
                if (v <= MaxSafeInteger) writer.WriteNumberValue(v); else writer.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
        }
        else if (vr == VR.SV)
        {
            foreach (var v in DicomDataset.GetNumbers<long>(e))
                if (v is >= -MaxSafeInteger and <= MaxSafeInteger) writer.WriteNumberValue(v); else writer.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
        }
        else if (vr == VR.US) foreach (var v in DicomDataset.GetNumbers<ushort>(e)) writer.WriteNumberValue(v);
        else if (vr == VR.SS) foreach (var v in DicomDataset.GetNumbers<short>(e)) writer.WriteNumberValue(v);
        else if (vr == VR.UL) foreach (var v in DicomDataset.GetNumbers<uint>(e)) writer.WriteNumberValue(v);
        else if (vr == VR.SL) foreach (var v in DicomDataset.GetNumbers<int>(e)) writer.WriteNumberValue(v);
    }

    /// <summary>JSON has no NaN or infinity: they are written as the strings JavaScript prints for them.</summary>
    private static string NonFinite(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}
