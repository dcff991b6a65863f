namespace TciaPacs.Dicom.Network.Services;

/// <summary>One stored instance to send by C-STORE (a C-GET or C-MOVE sub-operation, or an SCU store): a Part 10 file.</summary>
public sealed record RetrieveItem(string FilePath, string SopClassUid, string SopInstanceUid, string TransferSyntaxUid);
