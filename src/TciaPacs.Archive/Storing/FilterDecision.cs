using TciaPacs.Dicom;

namespace TciaPacs.Archive.Storing;

/// <summary>
/// The closed set of what a store-time filter may decide (STYLE lesson 6, after Orthanc's KeepAsIs / Modify / Discard):
/// <see cref="Accept"/>, <see cref="Modify"/>, <see cref="Quarantine"/>, <see cref="Reject"/>. No other subclass exists.
/// </summary>
public abstract record FilterDecision
{
    private FilterDecision() { }

    public static readonly FilterDecision AcceptInstance = new Accept();

    /// <summary>Store as is.</summary>
    public sealed record Accept : FilterDecision;

    /// <summary>Store this data set instead (header only: the elements before Pixel Data are replaced, the pixel data kept).</summary>
    public sealed record Modify(DicomDataset Dataset, string Reason) : FilterDecision;

    /// <summary>Accept, but hold out of the archive for a person to review.</summary>
    public sealed record Quarantine(string Reason) : FilterDecision;

    /// <summary>Refuse, with the DIMSE status to give (default A900-class "cannot be stored").</summary>
    public sealed record Reject(string Reason, ushort Status = StoreResult.StatusDataSetDoesNotMatchSopClass) : FilterDecision;
}
