using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NUnit.Framework;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>The DICOM TLS profile (PS3.15 B.1): the same association over TLS with the server certificate from configuration.</summary>
public sealed class TlsTests
{
    /// <summary>A server certificate for "localhost", made at test time.</summary>
    internal static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    [Test]
    public async Task C_ECHO_over_TLS_and_plain_TCP_is_refused()
    {
        using var certificate = SelfSigned();
        await using var server = new TestServer(tls: certificate);
        var tls = new SslClientAuthenticationOptions { TargetHost = "localhost", RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == certificate.GetCertHashString() };
        await using (var client = await DicomClient.ConnectAsync("127.0.0.1", server.Port, new AssociateRequest
        {
            CalledAe = "SCP", CallingAe = "TLSSCU",
            PresentationContexts = [new PresentationContext(1, SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])],
        }, tls: tls))
        {
            Assert.That(await TestServer.EchoOnAsync(client.Association), Is.EqualTo(DimseStatus.Success));
            await client.ReleaseAsync();
        }
        Assert.That(server.Log.All, Does.Contain("TLSSCU->SCP"));
        // A plain DICOM client gets no association from a TLS port.
        Assert.CatchAsync(() => server.EchoAsync());
    }
}
