using System.Xml;
using TciaPacs.Dicom.Formats.Internal;

namespace TciaPacs.Dicom.Formats.Xml;

/// <summary>Writes the Native DICOM Model (PS3.19 A.1): NativeDicomModel, DicomAttribute, Value, PersonName, Item, InlineBinary, BulkData.</summary>
internal sealed class XmlDatasetWriter(XmlWriter writer, DicomXmlOptions options)
{
    public const string Namespace = "http://dicom.nema.org/PS3.19/models/NativeDICOM";

    private readonly PathTracker _path = new();

    public void WriteDocument(DicomDataset ds)
    {
        writer.WriteStartElement("NativeDicomModel", Namespace);
        // Values are exact: no whitespace in them is formatting (PS3.19 A.1.1).
        writer.WriteAttributeString("xml", "space", null, "preserve");
        WriteAttributes(ds);
        writer.WriteEndElement();
    }

    private void WriteAttributes(DicomDataset ds)
    {
        foreach (var e in ds) WriteAttribute(ds, e);
    }

    private void WriteAttribute(DicomDataset ds, DicomElement e)
    {
        if (e.Tag.IsGroupLength) return; // retired, and stale once re-encoded
        if (!options.IncludeEmptyValues && ElementValues.IsEmpty(ds, e)) return;
        var vr = ElementValues.WrittenVR(e);
        writer.WriteStartElement("DicomAttribute", Namespace);
        writer.WriteAttributeString("tag", e.Tag.ToHex());
        writer.WriteAttributeString("vr", vr.Name);
        if (options.WriteKeywords && !e.Tag.IsPrivate && DicomDictionary.KeywordOf(e.Tag) is { Length: > 0 } keyword)
            writer.WriteAttributeString("keyword", keyword);
        // Private elements name the creator of their block (PS3.19 A.1.1, PS3.5 7.8.1).
        if (ds.GetPrivateCreator(e.Tag) is { Length: > 0 } creator) writer.WriteAttributeString("privateCreator", creator);
        _path.Enter(e.Tag);
        try
        {
            WriteValue(ds, e, vr);
        }
        finally
        {
            _path.Leave();
        }
        writer.WriteEndElement();
    }

    private void WriteValue(DicomDataset ds, DicomElement e, VR vr)
    {
        if (e.Buffer is BulkDataUriBuffer bulk)
        {
            WriteBulkData(bulk.Uri);
            return;
        }
        if (e is DicomSequence sq)
        {
            for (var i = 0; i < sq.Items.Count; i++)
            {
                writer.WriteStartElement("Item", Namespace);
                writer.WriteAttributeString("number", Number(i));
                _path.EnterItem(i);
                WriteAttributes(sq.Items[i]);
                _path.LeaveItem();
                writer.WriteEndElement();
            }
            return;
        }
        if (e is DicomFragmentSequence || (e.Buffer.Length > 0 && ElementValues.IsBulkVR(vr)))
        {
            WriteBinary(e);
            return;
        }
        if (e.Buffer.Length == 0) return;
        string[] values;
        if (vr.IsString) values = ElementValues.Strings(ds, e);
        else if (vr == VR.FL) values = DicomDataset.GetNumbers<float>(e).Select(XmlConvert.ToString).ToArray();
        else if (vr == VR.FD) values = DicomDataset.GetNumbers<double>(e).Select(XmlConvert.ToString).ToArray();
        else values = ds.GetStrings(e); // integers in decimal, AT as GGGGEEEE
        for (var i = 0; i < values.Length; i++)
        {
            if (vr == VR.PN) WritePersonName(values[i], i);
            else
            {
                writer.WriteStartElement("Value", Namespace);
                writer.WriteAttributeString("number", Number(i));
                if (values[i].Length > 0) writer.WriteString(values[i]);
                writer.WriteEndElement();
            }
        }
    }

    /// <summary>
    /// PersonName with Alphabetic, Ideographic, Phonetic groups of FamilyName … NameSuffix (PS3.19 A.1.5). Every
    /// component up to the last present one is written, empty or not, so that the value reads back exactly.
    /// </summary>
    private void WritePersonName(string value, int index)
    {
        writer.WriteStartElement("PersonName", Namespace);
        writer.WriteAttributeString("number", Number(index));
        if (value.Length > 0)
        {
            var groups = PersonNameGroups.Split(value);
            for (var g = 0; g < groups.Length; g++)
            {
                writer.WriteStartElement(PersonNameGroups.GroupNames[g], Namespace);
                if (groups[g].Length > 0)
                {
                    var components = PersonNameGroups.Components(groups[g]);
                    for (var c = 0; c < components.Length; c++)
                        writer.WriteElementString(PersonNameGroups.ComponentNames[c], Namespace, components[c]);
                }
                writer.WriteEndElement();
            }
        }
        writer.WriteEndElement();
    }

    private void WriteBinary(DicomElement e)
    {
        var length = ElementValues.BinaryLength(e);
        if (options.BulkDataUriFactory is { } factory && length >= options.BulkDataThreshold && factory(e, _path.Current) is { } uri)
        {
            WriteBulkData(uri);
            return;
        }
        writer.WriteStartElement("InlineBinary", Namespace);
        var bytes = ElementValues.Bytes(e);
        var segment = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var s) ? s : new ArraySegment<byte>(bytes.ToArray());
        writer.WriteBase64(segment.Array!, segment.Offset, segment.Count);
        writer.WriteEndElement();
    }

    private void WriteBulkData(string uri)
    {
        writer.WriteStartElement("BulkData", Namespace);
        writer.WriteAttributeString("uri", uri);
        writer.WriteEndElement();
    }

    private static string Number(int index) => (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
