using System.Globalization;
using Lucene.Net.Index;
using Lucene.Net.Search;
using TciaPacs.Archive.Query;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Lucene;

/// <summary>One matching key as a Lucene query over instance documents, with the level of the attribute it is about.</summary>
internal sealed record TranslatedKey(QueryKey Key, global::Lucene.Net.Search.Query Query, QueryLevel Level);

/// <summary>
/// Translates the matching keys of a <see cref="DicomQuery"/> into Lucene queries, rule by rule of PS3.4 C.2.2.2.
/// A key the index cannot answer exactly enough (not indexed, a VR matched otherwise than the indexed one, nested
/// sequences, a private key without its creator) is left out: the result then over-approximates, which the port allows.
/// </summary>
internal sealed class QueryTranslator(AttributeMap map)
{
    // BooleanQuery's default clause limit; longer UID lists are split into nested queries.
    private const int MaxClauses = 1000;

    public List<TranslatedKey> Translate(DicomQuery query)
    {
        var result = new List<TranslatedKey>();
        foreach (var key in query.MatchingKeys)
        {
            if (map.Resolve(key, query) is not { } m) continue;
            var q = key.Kind == MatchKind.Sequence
                ? SequenceQuery(key, m, query.FuzzyMatching)
                : m.DerivedFrom != null ? DerivedQuery(key, m, query.FuzzyMatching) : ValueQuery(key, m.Attribute.VR, m.Base, query.FuzzyMatching);
            if (q != null) result.Add(new TranslatedKey(key, q, m.Attribute.Level));
        }
        return result;
    }

    // Sequence Matching (C.2.2.2.6): an item must match all item keys; here each item key may be met by any item
    // (over-approximation), and the sequence must have an item.
    private static global::Lucene.Net.Search.Query? SequenceQuery(QueryKey key, MappedAttribute m, bool fuzzy)
    {
        if (m.Attribute.VR != VR.SQ) return null;
        var bq = new BooleanQuery { { Term(FieldNames.Has, m.Base), Occur.MUST } };
        foreach (var ik in key.ItemKeys)
        {
            if (!ik.IsMatching || ik.Kind is MatchKind.Sequence or MatchKind.EmptyValue) continue;
            var vr = DicomDictionary.ImpliedVR(ik.Tag);
            if (ValueQuery(ik, vr, FieldNames.Item(m.Base, ik.Tag), fuzzy) is { } q) bq.Add(q, Occur.MUST);
        }
        return bq;
    }

    // Modalities in Study and SOP Classes in Study (C.6.1.1.3) match when any instance of the study has the value;
    // a list "CT\MR" is read as "any of them" as well as literally.
    private static global::Lucene.Net.Search.Query? DerivedQuery(QueryKey key, MappedAttribute m, bool fuzzy)
    {
        var vr = DicomDictionary.ImpliedVR(m.DerivedFrom!.Value);
        if (key.Kind is not (MatchKind.SingleValue or MatchKind.Wildcard) || !key.Value.Contains('\\', StringComparison.Ordinal))
            return ValueQuery(key, vr, m.Base, fuzzy);
        var any = new BooleanQuery();
        foreach (var part in key.Value.Split('\\').Append(key.Value).Distinct(StringComparer.Ordinal))
        {
            var k = QueryKey.Create(key.Tag, key.VR, part);
            if (!k.IsMatching) return null; // an empty part matches everything
            if (ValueQuery(k, vr, m.Base, fuzzy) is not { } q) return null;
            any.Add(q, Occur.SHOULD);
        }
        return any;
    }

    public static global::Lucene.Net.Search.Query? ValueQuery(QueryKey key, VR indexedVR, string field, bool fuzzy)
    {
        if (key.Kind == MatchKind.EmptyValue) return Term(FieldNames.Empty, field);
        if (!ValueKinds.Compatible(key.VR, indexedVR)) return null;
        var kind = ValueKinds.Of(indexedVR);
        var q = key.Kind switch
        {
            MatchKind.SingleValue => SingleValue(key, kind, field, fuzzy),
            MatchKind.UidList when kind == ValueKind.Text => UidList(key.Uids, field),
            MatchKind.Wildcard => Wildcard(key, kind, field, fuzzy),
            MatchKind.Range when kind == ValueKind.Temporal => Range(key, field),
            _ => null,
        };
        if (q == null || kind is not (ValueKind.Text or ValueKind.PersonName)) return q;
        // A value too long to be a term was marked instead: such an instance may match any text query on the attribute.
        return new BooleanQuery { { q, Occur.SHOULD }, { Term(FieldNames.TooLong, field), Occur.SHOULD } };
    }

    private static global::Lucene.Net.Search.Query? SingleValue(QueryKey key, ValueKind kind, string field, bool fuzzy)
    {
        switch (kind)
        {
            case ValueKind.PersonName:
                return fuzzy ? Fuzzy(key.Value, field) : Literal(key.Value, field);
            case ValueKind.Number:
                // QueryMatcher compares as doubles when both parse, else as trimmed strings.
                var text = key.Value.Trim();
                var exact = Term(field + FieldNames.Exact, text);
                if (DocumentBuilder.NumberTerm(text) is not { } number) return exact;
                return new BooleanQuery
                {
                    { Term(field + FieldNames.Number, number), Occur.SHOULD },
                    { exact, Occur.SHOULD },
                };
            case ValueKind.Text:
                return Term(field + FieldNames.Exact, key.Value.Trim());
            default:
                return null;
        }
    }

    // Literal PN matching (C.2.2.2.1, case-insensitive): the alphabetic group, and the other groups when the query gives them.
    private static global::Lucene.Net.Search.Query Literal(string value, string field)
    {
        var pn = Dicom.Values.PersonName.Parse(value);
        var bq = new BooleanQuery { { Term(field + FieldNames.Alphabetic, DocumentBuilder.GroupKey(pn.Alphabetic)), Occur.MUST } };
        if (pn.Ideographic.Length > 0) bq.Add(Term(field + FieldNames.Ideographic, DocumentBuilder.GroupKey(pn.Ideographic)), Occur.MUST);
        if (pn.Phonetic.Length > 0) bq.Add(Term(field + FieldNames.Phonetic, DocumentBuilder.GroupKey(pn.Phonetic)), Occur.MUST);
        return bq;
    }

    // Fuzzy PN matching (C.2.2.2.1.3, PersonNameMatcher.Fuzzy): every folded query word is a prefix of some word.
    private static global::Lucene.Net.Search.Query Fuzzy(string value, string field)
    {
        var words = PersonNameMatcher.Words(value.Replace("*", "", StringComparison.Ordinal).Replace("?", "", StringComparison.Ordinal));
        if (words.Length == 0) return Term(FieldNames.Has, field);
        var bq = new BooleanQuery();
        foreach (var w in words.Distinct(StringComparer.Ordinal)) bq.Add(new PrefixQuery(new Term(field + FieldNames.Words, w)), Occur.MUST);
        return bq;
    }

    // Wildcard Matching (C.2.2.2.4): '*' and '?' mean the same in Lucene; its escape character '\' is escaped.
    private static global::Lucene.Net.Search.Query? Wildcard(QueryKey key, ValueKind kind, string field, bool fuzzy)
    {
        if (kind == ValueKind.PersonName && fuzzy) return Fuzzy(key.Value, field);
        if (kind is not (ValueKind.PersonName or ValueKind.Text)) return null;
        var pattern = key.Value.Trim();
        var (subField, text) = kind == ValueKind.PersonName ? (field + FieldNames.Upper, pattern.ToUpperInvariant()) : (field + FieldNames.Exact, pattern);
        text = Simplify(text);
        if (text.Length <= MaxPattern) return new WildcardQuery(new Term(subField, text.Replace("\\", "\\\\", StringComparison.Ordinal)));
        // A very long pattern: its literal prefix (or any value at all) is a superset.
        var prefix = text[..text.IndexOfAny(['*', '?'])];
        return prefix.Length > 0 ? new PrefixQuery(new Term(subField, prefix)) : Term(FieldNames.Has, field);
    }

    private const int MaxPattern = 256;

    // The automaton of '*' followed by many '?' grows exponentially when determinized; '?' read as '*' is a superset.
    private static string Simplify(string pattern)
    {
        if (!pattern.Contains('*', StringComparison.Ordinal) || pattern.Count(c => c == '?') <= 4) return pattern;
        var sb = new System.Text.StringBuilder(pattern.Length);
        foreach (var c in pattern)
        {
            var w = c == '?' ? '*' : c;
            if (w == '*' && sb.Length > 0 && sb[^1] == '*') continue;
            sb.Append(w);
        }
        return sb.ToString();
    }

    // Range Matching (C.2.2.2.5): a value's span overlaps [start, end]: span end ≥ start and span start ≤ end.
    private static global::Lucene.Net.Search.Query? Range(QueryKey key, string field)
    {
        var (start, end) = (key.Range.Start, key.Range.End);
        if (start == null && end == null) return null;
        var bq = new BooleanQuery();
        if (start is { } s) bq.Add(NumericRangeQuery.NewInt64Range(field + FieldNames.High, DocumentBuilder.TicksPrecisionStep, s.UtcTicks, null, true, true), Occur.MUST);
        if (end is { } e) bq.Add(NumericRangeQuery.NewInt64Range(field + FieldNames.Low, DocumentBuilder.TicksPrecisionStep, null, e.UtcTicks, true, true), Occur.MUST);
        return bq;
    }

    // List of UID Matching (C.2.2.2.2): any of them.
    private static global::Lucene.Net.Search.Query UidList(IReadOnlyList<string> uids, string field)
    {
        var outer = new BooleanQuery();
        foreach (var chunk in uids.Distinct(StringComparer.Ordinal).Chunk(MaxClauses))
        {
            var inner = new BooleanQuery();
            foreach (var uid in chunk) inner.Add(Term(field + FieldNames.Exact, uid), Occur.SHOULD);
            outer.Add(inner, Occur.SHOULD);
        }
        return outer;
    }

    public static TermQuery Term(string field, string text) => new(new Term(field, text));
}
