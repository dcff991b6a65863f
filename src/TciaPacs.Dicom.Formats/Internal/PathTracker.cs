namespace TciaPacs.Dicom.Formats.Internal;

/// <summary>The element being read or written, for bulk data URIs and for error messages.</summary>
internal sealed class PathTracker
{
    private readonly List<DicomPathStep> _parents = [];
    private readonly Stack<DicomTag> _tags = new();

    public void Enter(DicomTag tag) => _tags.Push(tag);

    public void Leave() => _tags.Pop();

    public void EnterItem(int index) => _parents.Add(new DicomPathStep(_tags.Peek(), index));

    public void LeaveItem() => _parents.RemoveAt(_parents.Count - 1);

    public DicomElementPath Current => new(_parents.ToArray(), _tags.Count > 0 ? _tags.Peek() : default);

    /// <summary>E.g. <c>(0008,1115)[0].(0008,1150) ReferencedSOPClassUID</c>; empty outside any element.</summary>
    public override string ToString()
    {
        if (_tags.Count == 0 && _parents.Count == 0) return "";
        var path = Current;
        var text = _tags.Count > _parents.Count ? path.ToString() : string.Concat(path.Parents.Select(p => p + ".")).TrimEnd('.');
        var keyword = _tags.Count > _parents.Count ? DicomDictionary.KeywordOf(path.Tag) : "";
        return keyword.Length > 0 ? $"{text} {keyword}" : text;
    }
}
