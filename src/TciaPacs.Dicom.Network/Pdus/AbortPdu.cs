namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>A-ABORT (PS3.8 9.3.8, Table 9-26): source 0 service user, 2 service provider; reason when from the provider.</summary>
public sealed record AbortPdu(byte Source, byte Reason)
{
    public const byte SourceUser = 0, SourceProvider = 2;
    public const byte NotSpecified = 0, UnrecognizedPdu = 1, UnexpectedPdu = 2, UnrecognizedPduParameter = 4, UnexpectedPduParameter = 5, InvalidPduParameterValue = 6;

    public override string ToString() => $"source {Source} reason {Reason}";
}
