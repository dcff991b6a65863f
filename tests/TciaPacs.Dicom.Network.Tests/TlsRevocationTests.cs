using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using NUnit.Framework;
using TciaPacs.Dicom.Network.Associations;
using TciaPacs.Dicom.Network.Client;
using TciaPacs.Dicom.Network.Dimse;
using TciaPacs.Dicom.Network.Pdus;
using TciaPacs.Dicom.Network.Services;

namespace TciaPacs.Dicom.Network.Tests;

/// <summary>
/// Client certificates checked for revocation (DicomServerOptions.TlsCheckRevocation): a site CA issues two client
/// certificates naming a CRL distribution point on this machine, whose list revokes one of them. The revoked one gets
/// no association, the other does; without the check both do; with the list out of reach, none does (fail closed).
/// </summary>
[NonParallelizable]
public sealed class TlsRevocationTests
{
    private sealed class Site : IDisposable
    {
        public required X509Certificate2 Authority { get; init; }
        public required X509Certificate2 Good { get; init; }
        public required X509Certificate2 Revoked { get; init; }
        public required byte[] Crl { get; init; }

        public void Dispose()
        {
            Authority.Dispose();
            Good.Dispose();
            Revoked.Dispose();
        }
    }

    private static X509Certificate2 WithKey(X509Certificate2 certificate, RSA key)
    {
        using var withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static Site MakeSite(string crlUrl)
    {
        using var caKey = RSA.Create(2048);
        // A name of its own each run: .NET caches downloaded lists on disk under the issuer's name and the URL.
        var caRequest = new CertificateRequest($"CN=TciaPacs test site CA {Guid.NewGuid():N}", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var authority = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(30));

        X509Certificate2 Client(string name, byte serial)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
            request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUrl]));
            using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), [serial, 0x11, 0x22]);
            return WithKey(issued, key);
        }

        var good = Client("good-modality", 0x21);
        var revoked = Client("stolen-laptop", 0x22);
        var crl = new CertificateRevocationListBuilder();
        crl.AddEntry(revoked, DateTimeOffset.UtcNow.AddHours(-1), X509RevocationReason.KeyCompromise);
        var signedCrl = crl.Build(authority, BigInteger.One, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1,
            DateTimeOffset.UtcNow.AddMinutes(-5));
        return new Site { Authority = authority, Good = good, Revoked = revoked, Crl = signedCrl };
    }

    /// <summary>A one-file HTTP server for the CRL, counting the downloads.</summary>
    private sealed class CrlServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private int _downloads;

        public CrlServer()
        {
            _listener.Start();
            _ = ServeAsync();
        }

        public byte[] Crl { get; set; } = [];
        public int Downloads => Volatile.Read(ref _downloads);
        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/site.crl";

        private async Task ServeAsync()
        {
            try
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    var stream = client.GetStream();
                    var request = new byte[4096];
                    var read = 0;
                    while (read < request.Length && !Encoding.ASCII.GetString(request, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var n = await stream.ReadAsync(request.AsMemory(read), _stop.Token);
                        if (n == 0) break;
                        read += n;
                    }
                    Interlocked.Increment(ref _downloads);
                    var header = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {Crl.Length}\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(header, _stop.Token);
                    await stream.WriteAsync(Crl, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }

    private static async Task<ushort?> EchoAs(TestServer server, X509Certificate2 serverCertificate, X509Certificate2 client)
    {
        var tls = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [client],
            RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == serverCertificate.GetCertHashString(),
        };
        try
        {
            await using var association = await DicomClient.ConnectAsync("127.0.0.1", server.Port, new AssociateRequest
            {
                CalledAe = "SCP", CallingAe = "CERTSCU",
                PresentationContexts = [new PresentationContext(1, SopClasses.Verification, [TransferSyntax.ImplicitVRLittleEndian.Uid])],
            }, tls: tls);
            var status = await TestServer.EchoOnAsync(association.Association);
            await association.ReleaseAsync();
            return status;
        }
        catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or AssociationAbortedException or SocketException)
        {
            return null;
        }
    }

    [Test]
    public async Task A_revoked_client_certificate_gets_no_association()
    {
        using var crlServer = new CrlServer();
        using var site = MakeSite(crlServer.Url);
        crlServer.Crl = site.Crl;
        using var serverCertificate = TlsTests.SelfSigned();
        var trust = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(site.Authority.RawData));

        await using (var server = new TestServer(tls: serverCertificate, clientTrust: trust, checkRevocation: true))
        {
            Assert.That(await EchoAs(server, serverCertificate, site.Good), Is.EqualTo(DimseStatus.Success));
            Assert.That(crlServer.Downloads, Is.GreaterThanOrEqualTo(1), "the list was fetched from the certificate's distribution point");
            Assert.That(await EchoAs(server, serverCertificate, site.Revoked), Is.Null);
            Assert.That(server.Log.WaitFor("stolen-laptop refused"), Does.Contain("CN=stolen-laptop refused").And.Contain("revoked by its issuer's certificate revocation list"));
        }
        // Without the check the same certificate is let in: the refusal above was the list's doing.
        await using (var noCheck = new TestServer(tls: serverCertificate, clientTrust: trust))
            Assert.That(await EchoAs(noCheck, serverCertificate, site.Revoked), Is.EqualTo(DimseStatus.Success));
    }

    [Test]
    public async Task With_the_revocation_list_out_of_reach_no_client_certificate_is_let_in()
    {
        // A distribution point where nothing listens: the check fails closed.
        var closedPort = new TcpListener(IPAddress.Loopback, 0);
        closedPort.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)closedPort.LocalEndpoint).Port}/gone.crl";
        closedPort.Stop();
        using var site = MakeSite(url);
        using var serverCertificate = TlsTests.SelfSigned();
        var trust = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(site.Authority.RawData));
        await using var server = new TestServer(tls: serverCertificate, clientTrust: trust, checkRevocation: true);
        Assert.That(await EchoAs(server, serverCertificate, site.Good), Is.Null);
        Assert.That(server.Log.WaitFor("good-modality refused"), Does.Contain("revocation status cannot be known"));
    }
}
