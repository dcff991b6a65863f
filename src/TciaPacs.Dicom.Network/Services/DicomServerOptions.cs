using System.Net;
using System.Security.Cryptography.X509Certificates;
using TciaPacs.Dicom.Network.Associations;

namespace TciaPacs.Dicom.Network.Services;

/// <summary>Listener settings: where, how many associations at once, and per-association limits.</summary>
public sealed record DicomServerOptions
{
    public IPAddress Address { get; init; } = IPAddress.Any;
    public int Port { get; init; } = 11112;
    public int MaxAssociations { get; init; } = 64;
    public AssociationOptions Association { get; init; } = new();

    /// <summary>The DICOM TLS profile (PS3.15 B.1): when set, every connection is TLS with this server certificate.</summary>
    public X509Certificate2? TlsCertificate { get; init; }

    /// <summary>
    /// With TLS: when set, a client must present a certificate that chains to one of these (certificate authorities,
    /// or the clients' own self-signed certificates), within its validity period (PS3.15 B.1, both peers authenticated).
    /// </summary>
    public X509Certificate2Collection? TlsClientTrust { get; init; }

    /// <summary>
    /// With <see cref="TlsClientTrust"/>: a client certificate is also checked against its issuer's certificate
    /// revocation list, fetched from the certificate's CRL distribution points (and cached until its next update), and
    /// refused when it is revoked or when its status cannot be known (no list reachable): the check fails closed. The
    /// trust anchors themselves are not checked (a self-signed certificate names no list).
    /// </summary>
    public bool TlsCheckRevocation { get; init; }

    /// <summary>How long the revocation check may wait for a list to download.</summary>
    public TimeSpan TlsRevocationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>On shutdown, how long associations in progress may take to finish before they are aborted.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
