using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Util;

namespace TciaPacs.Archive.Lucene;

/// <summary>A key set that a document's key field must belong to.</summary>
internal sealed record KeyCheck(string Field, HashSet<string> Keys);

/// <summary>
/// Collects the distinct values of one key field (from doc values) of the documents that pass every <see cref="KeyCheck"/>.
/// Ordinals are decoded once per segment, so a scan over many documents of few entities stays cheap.
/// </summary>
internal sealed class KeyCollector(string field, IReadOnlyList<KeyCheck> checks) : ICollector
{
    private readonly BytesRef _scratch = new();
    private SortedDocValues? _values;
    private bool[] _seen = [];
    private readonly SortedDocValues?[] _checkValues = new SortedDocValues?[checks.Count];
    private readonly sbyte[][] _memo = new sbyte[checks.Count][];

    public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

    public bool AcceptsDocsOutOfOrder => true;

    public void SetScorer(Scorer scorer)
    {
    }

    public void SetNextReader(AtomicReaderContext context)
    {
        var reader = context.AtomicReader;
        _values = reader.GetSortedDocValues(field);
        _seen = new bool[_values?.ValueCount ?? 0];
        for (var i = 0; i < checks.Count; i++)
        {
            _checkValues[i] = reader.GetSortedDocValues(checks[i].Field);
            _memo[i] = new sbyte[_checkValues[i]?.ValueCount ?? 0];
        }
    }

    public void Collect(int doc)
    {
        if (_values == null) return;
        for (var i = 0; i < checks.Count; i++)
        {
            var dv = _checkValues[i];
            var ord = dv?.GetOrd(doc) ?? -1;
            if (ord < 0) return;
            ref var memo = ref _memo[i][ord];
            if (memo == 0)
            {
                dv!.LookupOrd(ord, _scratch);
                memo = checks[i].Keys.Contains(_scratch.Utf8ToString()) ? (sbyte)1 : (sbyte)-1;
            }
            if (memo < 0) return;
        }
        var o = _values.GetOrd(doc);
        if (o < 0 || _seen[o]) return;
        _seen[o] = true;
        _values.LookupOrd(o, _scratch);
        Keys.Add(_scratch.Utf8ToString());
    }
}
