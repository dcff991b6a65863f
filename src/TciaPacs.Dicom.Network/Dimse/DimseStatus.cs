namespace TciaPacs.Dicom.Network.Dimse;

/// <summary>DIMSE status codes used here (PS3.7 Annex C, PS3.4 B.2.3, C.4.1.1.4, C.4.2.1.5, C.4.3.1.4).</summary>
public static class DimseStatus
{
    public const ushort Success = 0x0000;
    public const ushort Pending = 0xFF00;
    /// <summary>Pending: one or more Optional Keys were not supported (PS3.4 C.4.1.1.4).</summary>
    public const ushort PendingWarning = 0xFF01;
    public const ushort Cancel = 0xFE00;
    /// <summary>Sub-operations complete, one or more failures or warnings (PS3.4 C.4.2.1.5).</summary>
    public const ushort SubOperationsWarning = 0xB000;
    public const ushort OutOfResources = 0xA700;
    /// <summary>C-MOVE: out of resources, unable to calculate number of matches (A701) / perform sub-operations (A702).</summary>
    public const ushort OutOfResourcesMatches = 0xA701;
    public const ushort OutOfResourcesSubOperations = 0xA702;
    public const ushort MoveDestinationUnknown = 0xA801;
    public const ushort IdentifierDoesNotMatchSopClass = 0xA900;
    public const ushort UnableToProcess = 0xC000;
    public const ushort ProcessingFailure = 0x0110;
    public const ushort NoSuchSopClass = 0x0118;
    public const ushort NoSuchSopInstance = 0x0112;
    public const ushort NoSuchActionType = 0x0123;
    public const ushort MissingAttribute = 0x0120;
    public const ushort ClassInstanceConflict = 0x0119;
    public const ushort SopClassNotSupported = 0x0122;
    public const ushort UnrecognizedOperation = 0x0211;
    public const ushort DuplicateInvocation = 0x0210;
    public const ushort MistypedArgument = 0x0212;

    public static bool IsPending(ushort status) => status is Pending or PendingWarning;
    public static bool IsFailure(ushort status) => !(status == Success || IsPending(status) || status == Cancel || IsWarning(status));
    public static bool IsWarning(ushort status) => (status & 0xF000) == 0xB000 || status == 0x0001 || status == 0x0107 || status == 0x0116;
}
