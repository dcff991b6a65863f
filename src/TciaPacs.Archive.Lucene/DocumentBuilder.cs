using System.Globalization;
using System.Text;
using Lucene.Net.Documents;
using Lucene.Net.Util;
using TciaPacs.Archive.Indexing;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Values;

namespace TciaPacs.Archive.Lucene;

/// <summary>
/// One Lucene document per instance: stored key fields (collection, patient key, study, series, SOP instance UID, with
/// doc values to group hits by level) and the fields of each indexed attribute, normalised as the matching rules of
/// PS3.4 C.2.2.2 need them. No analyzer: every term is built here.
/// </summary>
/// <remarks>
/// Field objects are reused from one document to the next on the same thread (<see cref="PooledDocument"/>): a new Lucene
/// field builds its token stream and attribute source on first use, which cost more than the indexing of its one term.
/// The document <see cref="Build"/> returns is therefore only valid until the calling thread builds the next one: add it
/// to the writer first.
/// </remarks>
internal sealed class DocumentBuilder(AttributeMap map)
{
    // Lucene refuses terms over 32 766 UTF-8 bytes.
    private const int MaxTermBytes = 32_000;

    private readonly ThreadLocal<PooledDocument> _pools = new(() => new PooledDocument());

    public Document Build(IndexedInstance instance)
    {
        var doc = _pools.Value!;
        doc.Start();
        AddKey(doc, FieldNames.Collection, instance.Collection);
        AddKey(doc, FieldNames.Patient, instance.PatientKey);
        AddKey(doc, FieldNames.Study, instance.StudyInstanceUid);
        AddKey(doc, FieldNames.Series, instance.SeriesInstanceUid);
        AddKey(doc, FieldNames.Sop, instance.SopInstanceUid);
        var ds = instance.Attributes;
        foreach (var m in map.All)
        {
            if (m.DerivedFrom != null) continue; // answered from the attribute it is derived from
            if (m.Creator == null)
            {
                AddAttribute(doc, ds, ds.Get(m.Attribute.Tag), m.Attribute.VR, m.Base);
                continue;
            }
            var tag = AttributeMap.FindPrivate(ds, m.Attribute.Tag.Group, (byte)m.Attribute.Tag.Element, m.Creator);
            var e = tag is { } t ? ds.Get(t) : null;
            if (e != null && e.VR == VR.UN && m.Attribute.VR != VR.UN && m.Attribute.VR != VR.SQ)
            {
                // Implicit VR private data: read the bytes as the configured VR (default character set).
                var reread = new DicomDataset().Add(new DicomElement(e.Tag, m.Attribute.VR, e.Buffer));
                AddAttribute(doc, reread, reread.Get(e.Tag), m.Attribute.VR, m.Base);
                continue;
            }
            AddAttribute(doc, ds, e, m.Attribute.VR, m.Base);
        }
        return doc.Document;
    }

    private static void AddKey(PooledDocument doc, string field, string value)
    {
        doc.AddString(field, value, stored: true);
        doc.AddSorted(field, value);
    }

    private static void AddAttribute(PooledDocument doc, DicomDataset ds, DicomElement? e, VR vr, string field)
    {
        // Empty Value Matching (C.2.2.2.1): absent, zero-length, only empty values, or a sequence without items.
        if (e is DicomSequence sq)
        {
            if (sq.Items.Count == 0) { Mark(doc, FieldNames.Empty, field); return; }
            Mark(doc, FieldNames.Has, field);
            // Sequence matching (C.2.2.2.6) is approximated: the values of every item, flattened one level.
            foreach (var item in sq.Items)
                foreach (var ie in item)
                    if (ie is not DicomSequence and not DicomFragmentSequence && ValueKinds.Of(item.ValueVR(ie)) != ValueKind.None)
                        AddValues(doc, item.GetStrings(ie), item.ValueVR(ie), FieldNames.Item(field, ie.Tag));
            return;
        }
        if (e == null || e is DicomFragmentSequence) { Mark(doc, FieldNames.Empty, field); return; }
        var values = ds.GetStrings(e);
        if (values.All(v => v.Length == 0)) Mark(doc, FieldNames.Empty, field);
        AddValues(doc, values, vr, field);
    }

    private static void AddValues(PooledDocument doc, string[] values, VR vr, string field)
    {
        if (values.Length == 0) return;
        Mark(doc, FieldNames.Has, field);
        var kind = ValueKinds.Of(vr);
        foreach (var v in values)
        {
            switch (kind)
            {
                case ValueKind.Text:
                    AddTerm(doc, field, FieldNames.Exact, v);
                    break;
                case ValueKind.PersonName:
                    AddTerm(doc, field, FieldNames.Upper, v.ToUpperInvariant());
                    var pn = PersonName.Parse(v);
                    AddTerm(doc, field, FieldNames.Alphabetic, GroupKey(pn.Alphabetic));
                    AddTerm(doc, field, FieldNames.Ideographic, GroupKey(pn.Ideographic));
                    AddTerm(doc, field, FieldNames.Phonetic, GroupKey(pn.Phonetic));
                    foreach (var w in PersonNameMatcher.Words(v).Distinct(StringComparer.Ordinal)) AddTerm(doc, field, FieldNames.Words, w);
                    break;
                case ValueKind.Number:
                    AddTerm(doc, field, FieldNames.Exact, v.Trim());
                    if (NumberTerm(v) is { } number) doc.AddString(field + FieldNames.Number, number);
                    break;
                case ValueKind.Temporal:
                    // The span the value covers (a date is a whole day, "10" is 10:00-10:59:59.999999), compared by
                    // overlap exactly as QueryMatcher does (C.2.2.2.5); open ends as the extreme ticks.
                    var span = DicomDateRange.Parse(v, vr);
                    if (span.IsEmpty) break;
                    doc.AddTicks(field + FieldNames.Low, span.Start?.UtcTicks ?? long.MinValue);
                    doc.AddTicks(field + FieldNames.High, span.End?.UtcTicks ?? long.MaxValue);
                    break;
            }
        }
    }

    /// <summary>
    /// Trie precision of the tick fields: 8 bits a term (8 terms a value) instead of Lucene's default 4 (16 terms) halves
    /// what each date and time costs at store time; range queries visit a few more terms. Queries must use the same step.
    /// </summary>
    public const int TicksPrecisionStep = 8;

    internal static readonly FieldType TicksType = CreateTicksType();

    private static FieldType CreateTicksType()
    {
        var type = new FieldType(Int64Field.TYPE_NOT_STORED) { NumericPrecisionStep = TicksPrecisionStep };
        type.Freeze();
        return type;
    }

    /// <summary>
    /// A number as one term, so that values equal as doubles ("1.50", "1.5", "15E-1") share it: numeric keys are single
    /// values (C.2.2.2.1), never ranges, so no trie field is needed. Null when it does not parse.
    /// </summary>
    public static string? NumberTerm(string value)
    {
        if (!double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || double.IsNaN(d)) return null;
        return d == 0 ? "0" : d.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>A component group as literal PN matching compares it: trailing '^' and spaces dropped, upper case.</summary>
    public static string GroupKey(string group) => group.TrimEnd('^', ' ').ToUpperInvariant();

    private static void AddTerm(PooledDocument doc, string field, string suffix, string term)
    {
        if (Encoding.UTF8.GetByteCount(term) > MaxTermBytes) { Mark(doc, FieldNames.TooLong, field); return; }
        doc.AddString(field + suffix, term);
    }

    private static void Mark(PooledDocument doc, string markerField, string field) => doc.AddString(markerField, field);
}
