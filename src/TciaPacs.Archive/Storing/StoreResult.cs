namespace TciaPacs.Archive.Storing;

/// <summary>
/// The result of storing one instance, with what DIMSE needs (a C-STORE status, PS3.4 B.2.3 / PS3.7 C) and what STOW-RS
/// needs (the Failure Reason (0008,1197) or Warning Reason (0008,1196) codes of PS3.18 10.5.3).
/// </summary>
public sealed record StoreResult(StoreStatus Status, ushort DimseStatus, string Reason)
{
    public string? SopClassUid { get; init; }
    public string? SopInstanceUid { get; init; }
    public string? StudyInstanceUid { get; init; }
    public string? SeriesInstanceUid { get; init; }

    /// <summary>The PS3.18 Failure Reason / Warning Reason code, or null on plain success.</summary>
    public ushort? ReasonCode { get; init; }

    /// <summary>Where the instance now lives, relative to the file store root (null when nothing was stored).</summary>
    public string? StoredPath { get; init; }

    public long Size { get; init; }

    /// <summary>Stored or already there: the caller may count the instance as kept.</summary>
    public bool IsStored => Status is StoreStatus.Success or StoreStatus.SuccessDuplicate or StoreStatus.Warning;

    public bool IsFailure => Status == StoreStatus.Failure;

    // DIMSE C-STORE statuses (PS3.4 Table B.2-1, PS3.7 Annex C).
    public const ushort StatusSuccess = 0x0000;
    public const ushort StatusCoercion = 0xB000;
    public const ushort StatusProcessingFailure = 0x0110;
    public const ushort StatusDuplicateSopInstance = 0x0111;
    public const ushort StatusOutOfResources = 0xA700;
    public const ushort StatusDataSetDoesNotMatchSopClass = 0xA900;
    public const ushort StatusCannotUnderstand = 0xC000;

    public static StoreResult Failure(ushort status, string reason) => new(StoreStatus.Failure, status, reason) { ReasonCode = status };

    public override string ToString() => $"{Status} {DimseStatus:X4} {Reason}".TrimEnd();
}
