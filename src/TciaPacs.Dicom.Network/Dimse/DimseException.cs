namespace TciaPacs.Dicom.Network.Dimse;

/// <summary>A DIMSE message that cannot be understood (PS3.7): answered with a failure status or an abort.</summary>
public sealed class DimseException(string message, ushort status = DimseStatus.UnableToProcess) : Exception(message)
{
    public ushort Status { get; } = status;
}
