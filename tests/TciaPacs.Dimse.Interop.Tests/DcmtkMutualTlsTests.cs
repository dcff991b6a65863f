using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// DICOM TLS with both peers authenticated (PS3.15 B.1): <c>tciapacs serve</c> with <c>Dimse.TlsClientCertificates</c>
/// (a PEM file naming one client's self-signed certificate) against dcmtk's echoscu and storescu. The listed client
/// gets its association; a client with no certificate, or with one nobody listed, gets none, the server logging why;
/// and the server goes on serving.
/// </summary>
[NonParallelizable]
public sealed class DcmtkMutualTlsTests
{
    private string _keys = null!;
    private string _serverCert = null!;
    private (string Key, string Cert) _trusted, _stranger;
    private ServerProcess _server = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _keys = ServerProcess.TempFolder("mtls");
        var (_, serverCert, pkcs12) = TestCertificates.SelfSigned(_keys, "localhost", "server", "mtls", server: true);
        _serverCert = serverCert;
        var (trustedKey, trustedCert, _) = TestCertificates.SelfSigned(_keys, "tcia-site-a", "site-a", "mtls", server: false);
        _trusted = (trustedKey, trustedCert);
        var (strangerKey, strangerCert, _) = TestCertificates.SelfSigned(_keys, "somebody-else", "stranger", "mtls", server: false);
        _stranger = (strangerKey, strangerCert);
        var clients = Path.Combine(_keys, "clients.pem");
        File.Copy(trustedCert, clients);

        var config = new JsonObject
        {
            ["Dimse"] = new JsonObject { ["TlsCertificate"] = pkcs12, ["TlsCertificatePassword"] = "mtls", ["TlsClientCertificates"] = clients },
        };
        _server = new ServerProcess(config.ToJsonString());
        Assert.That(_server.Log, Does.Contain($"on port {_server.PortText} (TLS, client certificates required)"));
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _server?.Dispose();
        if (_keys != null) Directory.Delete(_keys, true);
    }

    private ExternalTool.Result Echo(string callingAe, params string[] tls) =>
        Tciapacs.Dcmtk("echoscu", [.. tls, "+cf", _serverCert, "-aet", callingAe, "-aec", _server.Ae, "127.0.0.1", _server.PortText]);

    [Test]
    public void The_listed_client_is_served_and_named_in_the_log()
    {
        var echo = Echo("SITEA", "+tls", _trusted.Key, _trusted.Cert);
        Assert.That(echo.ExitCode, Is.Zero, echo.StdOut + echo.StdErr);
        Assert.That(_server.WaitForLog("TLS client certificate CN=tcia-site-a"), Is.True, _server.Log);
        var ct = Path.Combine(Corpus.Root, "transfer-syntax/explicit-vr-le/CT_small.dcm");
        var store = Tciapacs.Dcmtk("storescu", ["+tls", _trusted.Key, _trusted.Cert, "+cf", _serverCert, "-v", "-aet", "SITEA", "-aec", _server.Ae, "127.0.0.1", _server.PortText, ct]);
        Assert.That(store.StdOut + store.StdErr, Does.Contain("Received Store Response (Success)"));
    }

    [Test]
    public void A_client_without_a_certificate_or_with_an_unlisted_one_gets_no_association()
    {
        var anonymous = Echo("ANONYMOUS", "+tla");
        Assert.That(anonymous.ExitCode, Is.Not.Zero, anonymous.StdOut + anonymous.StdErr);
        Assert.That(anonymous.StdOut + anonymous.StdErr, Does.Not.Contain("Echo Response (Success)"));
        Assert.That(_server.WaitForLog("the client presented no certificate, and this server requires one"), Is.True, _server.Log);

        var stranger = Echo("STRANGER", "+tls", _stranger.Key, _stranger.Cert);
        Assert.That(stranger.ExitCode, Is.Not.Zero, stranger.StdOut + stranger.StdErr);
        Assert.That(stranger.StdOut + stranger.StdErr, Does.Not.Contain("Echo Response (Success)"));
        Assert.That(_server.WaitForLog("client certificate CN=somebody-else refused (self-signed certificate): it does not chain to a trusted client certificate"), Is.True, _server.Log);
        Assert.That(_server.Log, Does.Not.Contain($"ANONYMOUS->{_server.Ae}").And.Not.Contain($"STRANGER->{_server.Ae}"));

        var after = Echo("SITEAAGAIN", "+tls", _trusted.Key, _trusted.Cert);
        Assert.That(after.ExitCode, Is.Zero, after.StdOut + after.StdErr);
    }
}
