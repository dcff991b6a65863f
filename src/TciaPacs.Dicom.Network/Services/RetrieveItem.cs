namespace TciaPacs.Dicom.Network.Services;

/// <summary>
/// One instance to send by C-STORE (a C-GET or C-MOVE sub-operation, or an SCU store): a stored Part 10 file, or an
/// instance made from one by its <see cref="Derivation"/> (a frame-level retrieve's new instance, or the file without
/// its bulk data), which then has the made instance's SOP Instance UID.
/// </summary>
public sealed record RetrieveItem(string FilePath, string SopClassUid, string SopInstanceUid, string TransferSyntaxUid)
{
    public InstanceDerivation? Derivation { get; init; }
}

/// <summary>
/// How an instance to send is made from its stored file (PS3.4 Annexes Y and Z), just before it goes: it is never
/// stored. Made on the thread pool while the instance before it is being sent.
/// </summary>
public abstract class InstanceDerivation
{
    /// <summary>
    /// The instance to send, made from the Part 10 file at <paramref name="sourcePath"/>, in that file's transfer
    /// syntax; large values may stay in the file. Throws when it cannot be made (the sub-operation then fails).
    /// </summary>
    public abstract DicomFile Make(string sourcePath);

    /// <summary>
    /// Whether what <see cref="Make"/> returns may keep encapsulated pixel data; when not, it goes in any native
    /// transfer syntax the peer accepted without a decoder.
    /// </summary>
    public abstract bool KeepsPixelData { get; }
}

/// <summary>Composite Instance Retrieve Without Bulk Data (PS3.4 Annex Z): the stored instance without what Table Z.1-1 leaves out.</summary>
public sealed class WithoutBulkData : InstanceDerivation
{
    public static WithoutBulkData Instance { get; } = new();

    public override bool KeepsPixelData => false;

    public override DicomFile Make(string sourcePath)
    {
        var file = DicomFile.Open(sourcePath);
        BulkData.Remove(file.Dataset);
        return file;
    }
}
