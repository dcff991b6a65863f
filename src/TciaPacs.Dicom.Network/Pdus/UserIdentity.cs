namespace TciaPacs.Dicom.Network.Pdus;

/// <summary>User Identity Negotiation sub-item, request (PS3.7 D.3.3.7.1).</summary>
public sealed record UserIdentity(byte Type, bool PositiveResponseRequested, byte[] PrimaryField, byte[] SecondaryField)
{
    public const byte Username = 1, UsernameAndPasscode = 2, Kerberos = 3, Saml = 4, Jwt = 5;

    /// <summary>The username (types 1 and 2), else a description of the type; never the passcode or token.</summary>
    public string Describe() => Type is Username or UsernameAndPasscode
        ? System.Text.Encoding.UTF8.GetString(PrimaryField)
        : Type switch { Kerberos => "(Kerberos ticket)", Saml => "(SAML assertion)", Jwt => "(JSON web token)", _ => $"(identity type {Type})" };
}
