namespace TciaPacs.Dicom.Network.Services;

/// <summary>A C-MOVE destination (PS3.4 C.4.2.1.4.1 Move Destination): where its AE title listens.</summary>
public sealed record MoveDestination(string AeTitle, string Host, int Port);
