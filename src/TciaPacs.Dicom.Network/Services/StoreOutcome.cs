namespace TciaPacs.Dicom.Network.Services;

/// <summary>The outcome of storing one instance: the C-STORE-RSP status and an optional Error Comment (PS3.4 B.2.3).</summary>
public readonly record struct StoreOutcome(ushort Status, string? Comment = null);
