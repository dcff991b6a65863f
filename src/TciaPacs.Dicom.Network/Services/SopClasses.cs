namespace TciaPacs.Dicom.Network.Services;

/// <summary>The SOP classes and transfer syntaxes the DIMSE services negotiate, from the generated PS3.6 registry.</summary>
public static class SopClasses
{
    public const string Verification = "1.2.840.10008.1.1";

    /// <summary>Storage Commitment Push Model SOP Class and its well-known instance (PS3.4 J.3).</summary>
    public const string StorageCommitmentPushModel = "1.2.840.10008.1.20.1", StorageCommitmentPushModelInstance = "1.2.840.10008.1.20.1.1";
    public const string PatientRootFind = "1.2.840.10008.5.1.4.1.2.1.1";
    public const string PatientRootMove = "1.2.840.10008.5.1.4.1.2.1.2";
    public const string PatientRootGet = "1.2.840.10008.5.1.4.1.2.1.3";
    public const string StudyRootFind = "1.2.840.10008.5.1.4.1.2.2.1";
    public const string StudyRootMove = "1.2.840.10008.5.1.4.1.2.2.2";
    public const string StudyRootGet = "1.2.840.10008.5.1.4.1.2.2.3";


    /// <summary>Composite Instance Root Retrieve (PS3.4 Annex Y): instances by SOP Instance UID alone, or some of a multi-frame instance's frames.</summary>
    public const string CompositeInstanceRootMove = "1.2.840.10008.5.1.4.1.2.4.2";
    public const string CompositeInstanceRootGet = "1.2.840.10008.5.1.4.1.2.4.3";

    /// <summary>Composite Instance Retrieve Without Bulk Data (PS3.4 Annex Z): instances without their pixel data and other bulk data.</summary>
    public const string WithoutBulkDataGet = "1.2.840.10008.5.1.4.1.2.5.3";

    public static readonly IReadOnlyList<string> QueryRetrieve =
        [PatientRootFind, PatientRootMove, PatientRootGet, StudyRootFind, StudyRootMove, StudyRootGet, CompositeInstanceRootMove, CompositeInstanceRootGet, WithoutBulkDataGet];

    /// <summary>
    /// Every storage SOP class of the registry (PS3.4 Annex B, Table B.5-1): the "... Storage" SOP classes, retired and
    /// trial ones included, without Storage Commitment and Storage Management, which are not C-STORE classes.
    /// </summary>
    public static readonly IReadOnlySet<string> Storage = DicomUids.All
        .Where(u => u.Type == DicomUidType.SopClass && u.Name.Contains("Storage", StringComparison.Ordinal)
                    && !u.Name.Contains("Commitment", StringComparison.Ordinal) && !u.Name.Contains("Storage Management", StringComparison.Ordinal))
        .Select(u => u.Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>Every registered transfer syntax (PS3.6 Table A-1): storage accepts them all, since instances are stored as received.</summary>
    public static readonly IReadOnlySet<string> AllTransferSyntaxes = DicomUids.All
        .Where(u => u.Type == DicomUidType.TransferSyntax).Select(u => u.Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>The transfer syntaxes of commands' data sets other than storage (identifiers): the native ones (PS3.5 A.1-A.3, A.5).</summary>
    public static readonly IReadOnlyList<string> Native =
    [
        TransferSyntax.ExplicitVRLittleEndian.Uid, TransferSyntax.ImplicitVRLittleEndian.Uid, TransferSyntax.ExplicitVRBigEndian.Uid, TransferSyntax.DeflatedExplicitVRLittleEndian.Uid,
    ];

    public static bool IsFind(string uid) => uid is PatientRootFind or StudyRootFind;
    public static bool IsMove(string uid) => uid is PatientRootMove or StudyRootMove;
    public static bool IsGet(string uid) => uid is PatientRootGet or StudyRootGet;
}
