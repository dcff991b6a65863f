namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>Result/Reason of a presentation context in an A-ASSOCIATE-AC (PS3.8 9.3.3.2, Table 9-18).</summary>
public enum PresentationContextResult : byte
{
    Acceptance = 0,
    UserRejection = 1,
    NoReason = 2,
    AbstractSyntaxNotSupported = 3,
    TransferSyntaxesNotSupported = 4,
}
