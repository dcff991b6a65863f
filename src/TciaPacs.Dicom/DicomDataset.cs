using System.Collections;
using TciaPacs.Dicom.IO;
using TciaPacs.Dicom.Text;

namespace TciaPacs.Dicom;

/// <summary>
/// A data set: elements kept in ascending tag order (PS3.5 7.1), held as a sorted list so that reading a file in order
/// appends, and lookups are binary searches. Sequence items know their parent to inherit its Specific Character Set.
/// </summary>
public sealed partial class DicomDataset : IEnumerable<DicomElement>
{
    private readonly List<DicomElement> _elements;
    private DicomCharacterSet? _characterSet;

    public DicomDataset() => _elements = [];

    public DicomDataset(IEnumerable<DicomElement> elements) : this()
    {
        foreach (var e in elements) Add(e);
    }

    /// <summary>The data set holding the sequence this item belongs to; null at the top level.</summary>
    public DicomDataset? Parent { get; internal set; }

    public int Count => _elements.Count;

    public DicomElement this[int index] => _elements[index];

    public bool Contains(DicomTag tag) => IndexOf(tag) >= 0;

    public DicomElement? Get(DicomTag tag)
    {
        var i = IndexOf(tag);
        return i >= 0 ? _elements[i] : null;
    }

    public bool TryGet(DicomTag tag, out DicomElement element)
    {
        var i = IndexOf(tag);
        element = i >= 0 ? _elements[i] : null!;
        return i >= 0;
    }

    /// <summary>Adds or replaces the element with the same tag.</summary>
    public DicomDataset Add(DicomElement element)
    {
        if (element is DicomSequence sq)
            foreach (var item in sq.Items) item.Parent = this;
        var n = _elements.Count;
        if (n == 0 || _elements[n - 1].Tag < element.Tag)
        {
            _elements.Add(element);
        }
        else
        {
            var i = IndexOf(element.Tag);
            if (i >= 0) _elements[i] = element;
            else _elements.Insert(~i, element);
        }
        if (element.Tag == DicomTags.SpecificCharacterSet) InvalidateCharacterSet();
        return this;
    }

    public bool Remove(DicomTag tag)
    {
        var i = IndexOf(tag);
        if (i < 0) return false;
        _elements.RemoveAt(i);
        if (tag == DicomTags.SpecificCharacterSet) InvalidateCharacterSet();
        return true;
    }

    public int RemoveAll(Predicate<DicomElement> match) => _elements.RemoveAll(match);

    public void Clear() => _elements.Clear();

    private int IndexOf(DicomTag tag)
    {
        int lo = 0, hi = _elements.Count - 1;
        var v = tag.Value;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var m = _elements[mid].Tag.Value;
            if (m == v) return mid;
            if (m < v) lo = mid + 1; else hi = mid - 1;
        }
        return ~lo;
    }

    /// <summary>The Specific Character Set in force here: this data set's (0008,0005), else its parent's (PS3.5 6.1.2.5).</summary>
    public DicomCharacterSet CharacterSet
    {
        get
        {
            if (_characterSet != null) return _characterSet;
            var e = Get(DicomTags.SpecificCharacterSet);
            if (e != null)
            {
                // The defined terms themselves are in the default repertoire.
                var raw = System.Text.Encoding.ASCII.GetString(e.Buffer.GetBytes().Span);
                var terms = raw.Split('\\').Select(t => t.Trim(' ', '\0')).ToArray();
                return _characterSet = DicomCharacterSet.FromTerms(terms);
            }
            return _characterSet = Parent?.CharacterSet ?? DicomCharacterSet.Default;
        }
    }

    private void InvalidateCharacterSet()
    {
        _characterSet = null;
        foreach (var e in _elements)
            if (e is DicomSequence sq)
                foreach (var item in sq.Items) item.InvalidateCharacterSet();
    }

    /// <summary>A deep copy: values in memory are shared (they are immutable), items and sequences are new.</summary>
    public DicomDataset Clone()
    {
        var copy = new DicomDataset();
        foreach (var e in _elements)
        {
            copy._elements.Add(e switch
            {
                DicomSequence sq => new DicomSequence(sq.Tag, sq.Items.Select(i => i.Clone())),
                DicomFragmentSequence f => new DicomFragmentSequence(f.Tag, f.VR, f.OffsetTable, f.Fragments),
                _ => e,
            });
            if (copy._elements[^1] is DicomSequence s) foreach (var item in s.Items) item.Parent = copy;
        }
        return copy;
    }

    public IEnumerator<DicomElement> GetEnumerator() => _elements.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"DicomDataset ({Count} elements)";
}
