using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>Self-signed certificates made for one test run (nothing of them is committed).</summary>
internal static class TestCertificates
{
    /// <summary>
    /// A self-signed RSA certificate for <paramref name="commonName"/>, written to <paramref name="folder"/> as a PEM
    /// key, a PEM certificate and a PKCS#12 protected by <paramref name="password"/>. A server certificate names
    /// localhost and 127.0.0.1 and may also serve as a client certificate; a client one is for client authentication only.
    /// </summary>
    public static (string Key, string Cert, string Pkcs12) SelfSigned(string folder, string commonName, string name, string password, bool server)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        OidCollection usages = server ? [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")] : [new Oid("1.3.6.1.5.5.7.3.2")];
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        var keyPem = Path.Combine(folder, name + ".key.pem");
        File.WriteAllText(keyPem, key.ExportPkcs8PrivateKeyPem());
        var certPem = Path.Combine(folder, name + ".cert.pem");
        File.WriteAllText(certPem, certificate.ExportCertificatePem());
        var pkcs12 = Path.Combine(folder, name + ".p12");
        File.WriteAllBytes(pkcs12, certificate.Export(X509ContentType.Pkcs12, password));
        return (keyPem, certPem, pkcs12);
    }
}
