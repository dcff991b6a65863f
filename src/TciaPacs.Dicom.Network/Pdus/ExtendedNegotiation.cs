namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>SOP Class Extended Negotiation sub-item (PS3.7 D.3.3.5): service-class-specific application information bytes.</summary>
public sealed record ExtendedNegotiation(string SopClassUid, byte[] ServiceClassApplicationInformation);
