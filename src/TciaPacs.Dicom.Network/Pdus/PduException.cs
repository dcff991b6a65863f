namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>A PDU that breaks PS3.8: the association is aborted with <see cref="AbortReason"/> (PS3.8 9.3.8).</summary>
public sealed class PduException(string message, byte abortReason = AbortPdu.InvalidPduParameterValue) : Exception(message)
{
    public byte AbortReason { get; } = abortReason;
}
