namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>One Presentation Data Value item of a P-DATA-TF (PS3.8 9.3.5.1, Annex E.2).</summary>
public readonly record struct Pdv(byte PresentationContextId, bool IsCommand, bool IsLast, ReadOnlyMemory<byte> Data);
