namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>The User Information item (PS3.8 9.3.2.3, PS3.7 Annex D.3.3) of an A-ASSOCIATE-RQ or -AC.</summary>
public sealed record UserInformation
{
    /// <summary>Maximum length of the P-DATA-TF PDUs this side receives (PS3.8 D.1); 0: no limit.</summary>
    public uint MaxPduLength { get; init; }
    public string ImplementationClassUid { get; init; } = DicomUids.ImplementationClassUid;
    public string? ImplementationVersionName { get; init; } = DicomUids.ImplementationVersionName;

    /// <summary>Asynchronous Operations Window (PS3.7 D.3.3.3): invoked, performed; null when absent (1, 1).</summary>
    public (ushort Invoked, ushort Performed)? AsyncOperationsWindow { get; init; }
    public IReadOnlyList<RoleSelection> RoleSelections { get; init; } = [];
    public IReadOnlyList<ExtendedNegotiation> ExtendedNegotiations { get; init; } = [];
    public UserIdentity? UserIdentity { get; init; }

    /// <summary>The server response of a User Identity Negotiation (PS3.7 D.3.3.7.2), in an A-ASSOCIATE-AC.</summary>
    public byte[]? UserIdentityResponse { get; init; }
}
