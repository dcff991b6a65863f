namespace TciaPacs.Dicom.Network.Associations;

/// <summary>The association ended by an A-ABORT, a protocol error, a timeout or a dropped connection.</summary>
public sealed class AssociationAbortedException(string message, Exception? inner = null) : Exception(message, inner);
