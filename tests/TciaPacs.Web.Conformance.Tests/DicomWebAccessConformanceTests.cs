using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Testing;

namespace TciaPacs.Web.Conformance.Tests;

/// <summary>
/// DICOMweb users on the real server: <c>tciapacs serve</c> with <c>Http.Users</c> (passcode hashes made by
/// <c>tciapacs hash-password</c>) and nothing public, driven by dicomweb-client from node with and without HTTP Basic
/// credentials in its headers, and by curl: a user stores, finds and retrieves in their collection; a caller who does
/// not sign in is asked to (401 and a Basic challenge), and one with a wrong passcode too.
/// </summary>
[TestFixture]
public sealed class DicomWebAccessConformanceTests
{
    private ServeProcess _serve = null!;

    [OneTimeSetUp]
    public void Start()
    {
        ExternalTool.Require("node");
        var hash = ExternalTool.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "tciapacs.dll"), "hash-password"], stdin: "correct horse\n");
        Assert.That(hash.ExitCode, Is.Zero, hash.StdErr);
        var password = hash.StdOut.Trim();
        Assert.That(password, Does.StartWith("pbkdf2-sha256$"));
        _serve = ServeProcess.Start($$"""
            "Users": [ { "Username": "investigator", "Password": "{{password}}", "Collections": [ "trial" ] } ], "PublicCollections": []
            """);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        var (code, output) = _serve.Stop();
        _serve.Dispose();
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("refused (401): unknown user or wrong password for 'investigator'"), "each refusal is logged, with the user named");
    }

    private JsonNode Drive(string file, string? credentials, string collection = "trial")
    {
        var node = ExternalTool.Run("node", [Path.Combine(ServeProcess.ScriptFolder(), "dicomweb-access.mjs"), $"{_serve.Root}/collections/{collection}/dicom-web", file, .. credentials is null ? Array.Empty<string>() : [credentials]], TimeSpan.FromMinutes(2));
        Assert.That(node.ExitCode, Is.Zero, node.StdOut + node.StdErr);
        TestContext.Out.WriteLine(node.StdOut);
        return JsonNode.Parse(node.StdOut)!;
    }

    [Test]
    public void A_user_signs_in_with_dicomweb_client_and_a_caller_who_does_not_is_asked_to()
    {
        var file = Corpus.PathOf("modality/CT/ct_image.dcm");
        var anonymous = Drive(file, null);
        Assert.That((int)anonymous["stow"]!, Is.EqualTo(401), "no storing without signing in");
        Assert.That((int)anonymous["qido"]!, Is.EqualTo(401), "nothing is public");

        var wrong = Drive(file, "investigator:wrong horse");
        Assert.That((int)wrong["stow"]!, Is.EqualTo(401));
        Assert.That((int)wrong["qido"]!, Is.EqualTo(401));

        var user = Drive(file, "investigator:correct horse");
        Assert.That((int)user["stow"]!, Is.EqualTo(200), "the investigator stores into the trial");
        Assert.That((int)user["qido"]!, Is.EqualTo(200));
        Assert.That(user["studies"]!.AsArray(), Has.Count.EqualTo(1));
        Assert.That((int)user["wado"]!, Is.EqualTo(200));
        Assert.That((int)user["retrieved"]!, Is.EqualTo(1));

        var elsewhere = Drive(file, "investigator:correct horse", "other");
        Assert.That((int)elsewhere["stow"]!, Is.EqualTo(403), "a collection the investigator may not see");

        var curl = ExternalTool.Run(ExternalTool.Require("curl"), ["-s", "-o", "/dev/null", "-D", "-", $"{_serve.Base}/studies"]);
        Assert.That(curl.StdOut, Does.StartWith("HTTP/1.1 401").And.Contain("WWW-Authenticate: Basic realm=\"TciaPacs DICOMweb\""), "curl without credentials");
        var signedIn = ExternalTool.Run(ExternalTool.Require("curl"), ["-s", "-f", "-u", "investigator:correct horse", $"{_serve.Base}/studies"]);
        Assert.That(signedIn.ExitCode, Is.Zero, signedIn.StdErr);
        Assert.That(JsonNode.Parse(signedIn.StdOut)!.AsArray(), Has.Count.EqualTo(1), "curl -u finds the trial's study");
    }

    /// <summary>
    /// The NBIA API's OAuth tokens as tcia_utils' getToken asks for them and uses them on /nbia-api/services/v2
    /// (conformance/dicomweb/nbia_token_client.py, Python's urllib; pydicom reads what getImage zipped).
    /// </summary>
    [Test]
    public void A_script_signs_in_to_the_NBIA_API_for_a_bearer_token_as_tcia_utils_does()
    {
        var user = Drive(Corpus.PathOf("modality/CT/ct_image.dcm"), "investigator:correct horse");
        Assert.That((int)user["stow"]!, Is.EqualTo(200), "the trial holds a study");
        var r = ExternalTool.Run(ExternalTool.Python, [Path.Combine(ServeProcess.ScriptFolder(), "nbia_token_client.py"), _serve.Root, "investigator", "correct horse", "trial"],
            TimeSpan.FromMinutes(3));
        Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
        TestContext.Out.WriteLine(r.StdOut);
        var report = JsonNode.Parse(r.StdOut)!;
        Assert.That((int)report["token"]!, Is.EqualTo(200));
        Assert.That((int)report["expiresIn"]!, Is.EqualTo(7200));
        Assert.That(report["collections"]!.AsArray().Select(c => (string?)c), Is.EqualTo(new[] { "trial" }), "the investigator's collections");
        Assert.That((int)report["series"]!, Is.EqualTo(1));
        Assert.That((int)report["filesRead"]!, Is.EqualTo(1));
        Assert.That((int)report["refresh"]!, Is.EqualTo(200));
        Assert.That((int)report["refreshAgain"]!, Is.EqualTo(400), "a refresh token is used once");
        Assert.That((int)report["refreshedCall"]!, Is.EqualTo(200));
        Assert.That((int)report["logout"]!, Is.EqualTo(200));
        Assert.That((int)report["afterLogout"]!, Is.EqualTo(401), "a token logged out no longer works");
        Assert.That(report["wrongPassword"]!.AsArray().Select(v => v!.ToString()), Is.EqualTo(new[] { "400", "invalid_grant" }));
        Assert.That((int)report["guest"]!, Is.EqualTo(200), "nbia_guest gets a token");
        Assert.That((int)report["guestCall"]!, Is.EqualTo(401), "which sees what anyone sees: here nothing is public");
        Assert.That((string?)report["unsupported"], Is.EqualTo("unsupported_grant_type"));
    }
}
