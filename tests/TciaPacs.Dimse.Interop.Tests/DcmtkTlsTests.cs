using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NUnit.Framework;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// The DICOM TLS profile (PS3.15 B.1) against dcmtk's OpenSSL build: <c>tciapacs serve</c> with
/// <c>Dimse.TlsCertificate</c> (a self-signed PKCS#12 made here, with a password) is called by echoscu, storescu and
/// findscu over TLS, trusting the server certificate with <c>+cf</c>; a plain TCP client and a TLS client that does not
/// trust the certificate get no association, and the server keeps serving after both.
/// </summary>
[NonParallelizable]
public sealed partial class DcmtkTlsTests
{
    private const string Password = "tls-test-password";
    private const string CtFile = "transfer-syntax/explicit-vr-le/CT_small.dcm";
    private const string CtStudy = "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322";
    private const string CtSop = "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322";

    private string _keys = null!;
    private string _certPem = null!;
    private string _keyPem = null!;
    private ServerProcess _server = null!;

    [OneTimeSetUp]
    public void Start()
    {
        // dcmtk built without OpenSSL has no +tls options: that is a failure here, not a skip (CI installs Debian's dcmtk).
        foreach (var tool in new[] { "echoscu", "storescu", "findscu" })
        {
            var help = Tciapacs.Dcmtk(tool, "--help");
            Assert.That(help.StdOut + help.StdErr, Does.Contain("--enable-tls").And.Contain("--add-cert-file"),
                $"{tool} ({ExternalTool.Require(tool)}) was built without TLS support (no --enable-tls / --add-cert-file); install a dcmtk built with OpenSSL (Debian's dcmtk package is).");
        }

        // A fresh self-signed server certificate for every run; nothing of it is committed.
        _keys = ServerProcess.TempFolder("tls");
        var (keyPem, certPem, pkcs12) = TestCertificates.SelfSigned(_keys, "localhost", "server", Password, server: true);
        _certPem = certPem;
        _keyPem = keyPem;

        var config = new JsonObject { ["Dimse"] = new JsonObject { ["TlsCertificate"] = pkcs12, ["TlsCertificatePassword"] = Password } };
        _server = new ServerProcess(config.ToJsonString());
        Assert.That(_server.Log, Does.Contain($"on port {_server.PortText} (TLS)"), "the server did not start its DIMSE port with TLS");
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _server?.Dispose();
        if (_keys != null) Directory.Delete(_keys, true);
    }

    private ExternalTool.Result Echo(string callingAe, params string[] tls) =>
        Tciapacs.Dcmtk("echoscu", [.. tls, "-d", "-aet", callingAe, "-aec", _server.Ae, "127.0.0.1", _server.PortText]);

    /// <summary>echoscu -d prints the TLS connection details: the protocol and ciphersuite OpenSSL negotiated with SslStream.</summary>
    private static (string Protocol, string Cipher) Negotiated(ExternalTool.Result r)
    {
        var output = r.StdOut + r.StdErr;
        var protocol = ProtocolLine().Match(output);
        var cipher = CipherLine().Match(output);
        Assert.That(protocol.Success && cipher.Success, Is.True, "no TLS connection details in dcmtk's output:\n" + output);
        return (protocol.Groups[1].Value, cipher.Groups[1].Value);
    }

    [GeneratedRegex(@"Protocol\s*:\s*(\S+)")]
    private static partial Regex ProtocolLine();

    [GeneratedRegex(@"Ciphersuite\s*:\s*([^,\r\n]+)")]
    private static partial Regex CipherLine();

    /// <summary>(a) C-ECHO over TLS with the server certificate trusted, under dcmtk's TLS profiles that modern OpenSSL offers.</summary>
    [TestCase("+py", "TLSECHOPY")]
    [TestCase("+px", "TLSECHOPX")]
    [TestCase("+pz", "TLSECHOPZ")]
    public void Echo_over_TLS_trusting_the_server_certificate(string profile, string callingAe)
    {
        var r = Echo(callingAe, profile, "+tla", "+cf", _certPem);
        Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
        Assert.That(r.StdOut + r.StdErr, Does.Contain("Received Echo Response (Success)"));
        var (protocol, cipher) = Negotiated(r);
        TestContext.Out.WriteLine($"dcmtk {profile}: {protocol}, {cipher}");
        Assert.That(protocol, Is.EqualTo("TLSv1.2").Or.EqualTo("TLSv1.3"));
        Assert.That(_server.WaitForLog($"{callingAe}->{_server.Ae}"), Is.True, "the association is not in the server log:\n" + _server.Log);
    }

    /// <summary>(b) storescu over TLS (with a client key and certificate, which the server does not ask for) stores a CT; findscu over TLS finds it.</summary>
    [Test]
    public void Storescu_over_TLS_stores_and_findscu_over_TLS_finds_it()
    {
        var ct = Path.Combine(Corpus.Root, CtFile);
        var tls = new[] { "+tls", _keyPem, _certPem, "+cf", _certPem };
        var store = Tciapacs.Dcmtk("storescu", [.. tls, "-v", "-aet", "TLSSTORE", "-aec", _server.Ae, "127.0.0.1", _server.PortText, ct]);
        Assert.That(store.ExitCode, Is.Zero, store.StdOut + store.StdErr);
        Assert.That(store.StdOut + store.StdErr, Does.Contain("Received Store Response (Success)"));

        // The IMAGE-level key goes through the query index, refreshed about every second.
        string output;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var find = Tciapacs.Dcmtk("findscu", [.. tls, "-S", "-v", "-aet", "TLSFIND", "-aec", _server.Ae, "127.0.0.1", _server.PortText,
                "-k", "QueryRetrieveLevel=IMAGE", "-k", $"StudyInstanceUID={CtStudy}", "-k", "SeriesInstanceUID", "-k", $"SOPInstanceUID={CtSop}"]);
            output = find.StdOut + find.StdErr;
            Assert.That(find.ExitCode, Is.Zero, output);
            if (ServerProcess.Count(output, "(Pending)") > 0 || clock.Elapsed > TimeSpan.FromSeconds(15)) break;
            Thread.Sleep(200);
        }
        Assert.That(ServerProcess.Count(output, "(Pending)"), Is.EqualTo(1), output);
        Assert.That(output, Does.Contain(CtSop).And.Contain("Received Final Find Response (Success)"));
        Assert.That(_server.Log, Does.Contain($"TLSSTORE->{_server.Ae}").And.Contain($"TLSFIND->{_server.Ae}"));
    }

    /// <summary>(c) Plain TCP to the TLS port: no association (the A-ASSOCIATE-RQ is no TLS record); the next TLS client is served.</summary>
    [Test]
    public void Plain_TCP_echo_is_refused_and_the_server_keeps_serving_TLS()
    {
        var failures = ServerProcess.Count(_server.Log, "TLS handshake failed");
        var plain = Echo("PLAINECHO");
        Assert.That(plain.ExitCode, Is.Not.Zero, plain.StdOut + plain.StdErr);
        Assert.That(plain.StdOut + plain.StdErr, Does.Not.Contain("Association Accepted").And.Not.Contain("Echo Response (Success)"));
        Assert.That(_server.WaitForLog("TLS handshake failed", failures + 1), Is.True, "the server did not log the failed handshake:\n" + _server.Log);
        Assert.That(_server.Log, Does.Not.Contain($"PLAINECHO->{_server.Ae}"));

        var after = Echo("AFTERPLAIN", "+tla", "+cf", _certPem);
        Assert.That(after.ExitCode, Is.Zero, after.StdOut + after.StdErr);
        Assert.That(after.StdOut + after.StdErr, Does.Contain("Received Echo Response (Success)"));
    }

    /// <summary>(d) A TLS client that does not trust our self-signed certificate (no +cf, no -ic) refuses the connection; the server keeps serving.</summary>
    [Test]
    public void TLS_echo_not_trusting_the_server_certificate_fails()
    {
        var unknownCa = ServerProcess.Count(_server.Log, "unknown ca");
        var untrusting = Echo("UNTRUSTING", "+tla");
        var output = untrusting.StdOut + untrusting.StdErr;
        Assert.That(untrusting.ExitCode, Is.Not.Zero, output);
        Assert.That(output, Does.Contain("certificate verify failed"));
        Assert.That(output, Does.Not.Contain("Echo Response (Success)"));
        Assert.That(_server.Log, Does.Not.Contain($"UNTRUSTING->{_server.Ae}"));
        // The server's log gives OpenSSL's reason (the client's "unknown CA" alert), not only "Authentication failed".
        Assert.That(_server.WaitForLog("unknown ca", unknownCa + 1), Is.True, "the server did not log why the handshake failed:\n" + _server.Log);

        var after = Echo("AFTERUNTRUST", "+tla", "+cf", _certPem);
        Assert.That(after.ExitCode, Is.Zero, after.StdOut + after.StdErr);
    }
}
