namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>SCP/SCU Role Selection sub-item (PS3.7 D.3.3.4): the roles the requestor proposes for, or is granted on, a SOP class.</summary>
public sealed record RoleSelection(string SopClassUid, bool ScuRole, bool ScpRole);

/// <summary>SOP Class Extended Negotiation sub-item (PS3.7 D.3.3.5): service-class-specific application information bytes.</summary>
public sealed record ExtendedNegotiation(string SopClassUid, byte[] ServiceClassApplicationInformation);

/// <summary>User Identity Negotiation sub-item, request (PS3.7 D.3.3.7.1).</summary>
public sealed record UserIdentity(byte Type, bool PositiveResponseRequested, byte[] PrimaryField, byte[] SecondaryField)
{
    public const byte Username = 1, UsernameAndPasscode = 2, Kerberos = 3, Saml = 4, Jwt = 5;

    /// <summary>The username (types 1 and 2), else a description of the type; never the passcode or token.</summary>
    public string Describe() => Type is Username or UsernameAndPasscode
        ? System.Text.Encoding.UTF8.GetString(PrimaryField)
        : Type switch { Kerberos => "(Kerberos ticket)", Saml => "(SAML assertion)", Jwt => "(JSON web token)", _ => $"(identity type {Type})" };
}

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
