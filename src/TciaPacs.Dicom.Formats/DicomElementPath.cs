namespace TciaPacs.Dicom.Formats;

/// <summary>
/// Where an element sits in a data set: the sequence items that lead to it, then its tag. Given to
/// <c>BulkDataUriFactory</c> so that a server can build a URI that addresses nested bulk data too.
/// </summary>
public sealed class DicomElementPath(IReadOnlyList<DicomPathStep> parents, DicomTag tag)
{
    /// <summary>The sequence items from the top-level data set down, empty for a top-level element.</summary>
    public IReadOnlyList<DicomPathStep> Parents { get; } = parents;

    public DicomTag Tag { get; } = tag;

    public bool IsTopLevel => Parents.Count == 0;

    /// <summary>E.g. <c>(0008,1115)[0].(0008,1150)</c>.</summary>
    public override string ToString() => string.Concat(Parents.Select(p => p + ".")) + Tag;
}
