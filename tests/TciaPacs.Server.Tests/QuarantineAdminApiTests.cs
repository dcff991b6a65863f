using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using NUnit.Framework;
using TciaPacs.Testing;

namespace TciaPacs.Server.Tests;

/// <summary>The quarantine admin API of the running <c>serve</c>: token required, list, show, release into the archive, delete.</summary>
public sealed class QuarantineAdminApiTests
{
    [Test]
    public async Task Curators_list_show_release_and_delete_quarantined_instances_over_http()
    {
        var input = ArchiveTestData.TempFolder("adm-in");
        var data = ArchiveTestData.TempFolder("adm-data");
        var config = Path.Combine(data, "admin.json");
        const string token = "curator-token-0123456789";
        // The default collection de-identifies and scans: burned-in annotation sends images to quarantine.
        File.WriteAllText(config, $$"""{ "Http": { "Host": "127.0.0.1", "AdminToken": "{{token}}" } }""");
        var port = ArchiveTestData.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "tciapacs.dll"), "serve", "--config", config, "--data", data,
                     "--http-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dicom-port", ArchiveTestData.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        using var serve = Process.Start(psi)!;
        var output = serve.StandardOutput.ReadToEndAsync();
        var errors = serve.StandardError.ReadToEndAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        try
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                try { if ((await http.GetAsync("/dicom-web/studies")).IsSuccessStatusCode) break; }
                catch (HttpRequestException) { }
                Assert.That(serve.HasExited || clock.Elapsed > TimeSpan.FromSeconds(60), Is.False, "serve did not start");
                await Task.Delay(200);
            }

            PhiLaden.WriteStudy(input, patient: 4, study: 1, new PhiLaden.Options(BurnedIn: true));
            var files = Directory.GetFiles(input, "*", SearchOption.AllDirectories);
            using var body = new MultipartContent("related", "ADMINTEST");
            body.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
            foreach (var f in files)
            {
                var part = new ByteArrayContent(File.ReadAllBytes(f));
                part.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
                body.Add(part);
            }
            using (var stow = await http.PostAsync("/dicom-web/studies", body)) Assert.That(stow.IsSuccessStatusCode, await stow.Content.ReadAsStringAsync());

            Assert.That((await http.GetAsync("/admin/quarantine")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "no token");
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
            Assert.That((await http.GetAsync("/admin/quarantine")).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "wrong token");
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

            var list = JsonDocument.Parse(await http.GetStringAsync("/admin/quarantine")).RootElement;
            Assert.That(list.GetArrayLength(), Is.EqualTo(files.Length - 1), "every image quarantined; the report stored");
            var id = list[0].GetProperty("id").GetString()!;
            var one = JsonDocument.Parse(await http.GetStringAsync($"/admin/quarantine/{id}")).RootElement;
            Assert.That(one.GetProperty("findings").EnumerateArray().Select(f => f.GetString()), Has.Some.Contains("burned-in-annotation"));
            Assert.That((await http.GetAsync("/admin/quarantine/no-such-id")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

            var before = JsonDocument.Parse(await http.GetStringAsync("/dicom-web/instances")).RootElement.GetArrayLength();
            using (var release = await http.PostAsync($"/admin/quarantine/{id}/release", null))
                Assert.That(release.IsSuccessStatusCode, await release.Content.ReadAsStringAsync());
            var after = JsonDocument.Parse(await http.GetStringAsync("/dicom-web/instances")).RootElement.GetArrayLength();
            Assert.That(after, Is.EqualTo(before + 1), "the released instance is stored and visible");
            Assert.That(JsonDocument.Parse(await http.GetStringAsync("/admin/quarantine")).RootElement.GetArrayLength(), Is.EqualTo(files.Length - 2));

            var other = JsonDocument.Parse(await http.GetStringAsync("/admin/quarantine")).RootElement[0].GetProperty("id").GetString()!;
            Assert.That((await http.DeleteAsync($"/admin/quarantine/{other}")).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That((await http.GetAsync($"/admin/quarantine/{other}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
        finally
        {
            if (!serve.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", serve.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
                serve.WaitForExit(30_000);
            }
            TestContext.Out.WriteLine(await errors);
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }
}
