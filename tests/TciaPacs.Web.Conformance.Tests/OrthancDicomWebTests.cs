using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Web.Conformance.Tests;

/// <summary>
/// Orthanc's DICOMweb plugin (Debian's orthanc-dicomweb) as the client: it knows our server as DICOMweb server "tcia",
/// sends instances by STOW-RS, searches by QIDO-RS and fetches studies by WADO-RS into itself, as a site running Orthanc
/// would share with the archive.
/// </summary>
[NonParallelizable]
public sealed class OrthancDicomWebTests
{
    private const string Plugin = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

    private static readonly string[] Files =
    [
        "large/MOVEKNEE.dcm", "modality/CT/ct_image.dcm", "charset/chrFren.dcm", "modality/DX/dx_image.dcm",
        "transfer-syntax/jpeg-ls-near-lossless/CT1_JLSN.dcm", "transfer-syntax/explicit-vr-be/MR_small_bigendian.dcm",
    ];

    [Test]
    public async Task Orthanc_stores_searches_and_retrieves_through_our_DICOMweb()
    {
        Assert.That(File.Exists(Plugin), Is.True, "apt-get install -y orthanc-dicomweb (bash .ci/run does)");
        using var serve = ServeProcess.Start();
        using var orthanc = new OrthancProcess(Path.Combine(serve.DataDirectory, "orthanc"), new JsonObject
        {
            ["Plugins"] = new JsonArray(Plugin),
            ["DicomWeb"] = new JsonObject { ["Enable"] = true, ["Servers"] = new JsonObject { ["tcia"] = new JsonArray(serve.Base + "/") } },
        });
        var ids = new List<string>();
        foreach (var f in Files) ids.Add(await orthanc.UploadAsync(Corpus.PathOf(f)) ?? throw new InvalidOperationException($"Orthanc refused {f}"));

        // STOW-RS of everything Orthanc holds.
        var stow = await orthanc.PostAsync("/dicom-web/servers/tcia/stow", new JsonObject { ["Resources"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()), ["Synchronous"] = true });
        Assert.That(stow["InstancesCount"]!.ToString(), Is.EqualTo(Files.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        // QIDO-RS: a study by a Latin-1 name's wildcard (Orthanc reads our UTF-8 JSON), the series of a study.
        var french = Header("charset/chrFren.dcm");
        var studies = (await orthanc.PostAsync("/dicom-web/servers/tcia/qido", new JsonObject { ["Uri"] = "/studies", ["Arguments"] = new JsonObject { ["PatientName"] = "Buc*" } })).AsArray();
        Assert.That(studies.Select(s => Value(s!, "0020000D")), Is.EqualTo(new[] { Uid(french, DicomTags.StudyInstanceUID) }));
        Assert.That(studies.Select(s => Value(s!, "00100010")), Is.EqualTo(new[] { "Buc^Jérôme" }));
        var knee = Header("large/MOVEKNEE.dcm");
        var series = (await orthanc.PostAsync("/dicom-web/servers/tcia/qido", new JsonObject { ["Uri"] = $"/studies/{Uid(knee, DicomTags.StudyInstanceUID)}/series" })).AsArray();
        Assert.That(series.Select(s => Value(s!, "0020000E")), Is.EqualTo(new[] { Uid(knee, DicomTags.SeriesInstanceUID) }));

        // WADO-RS of every study into an emptied Orthanc: each file Orthanc then holds has the data set we stored.
        await orthanc.ClearAsync();
        var studyUids = Files.Select(f => Uid(Header(f), DicomTags.StudyInstanceUID)).Distinct().ToList();
        var retrieve = await orthanc.PostAsync("/dicom-web/servers/tcia/retrieve", new JsonObject
        {
            ["Resources"] = new JsonArray(studyUids.Select(u => (JsonNode)new JsonObject { ["Study"] = u }).ToArray()), ["Synchronous"] = true,
        });
        Assert.That(retrieve["ReceivedInstancesCount"]!.ToString(), Is.EqualTo(Files.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var held = await orthanc.InstancesAsync();
        var stored = Directory.EnumerateFiles(Path.Combine(serve.DataDirectory, "files"), "*.dcm", SearchOption.AllDirectories)
            .ToDictionary(f => Uid(DicomFile.Open(f, DicomReadOptions.HeaderOnly).Dataset, DicomTags.SOPInstanceUID));
        Assert.That(held.Keys, Is.EquivalentTo(stored.Keys));
        foreach (var (uid, id) in held)
        {
            var path = Path.Combine(serve.DataDirectory, "orthanc-" + id + ".dcm");
            await orthanc.DownloadAsync(id, path);
            var (theirs, ours) = (DicomFile.Open(path), DicomFile.Open(stored[uid]));
            Assert.That(theirs.TransferSyntax, Is.EqualTo(ours.TransferSyntax), uid);
            Assert.That(JsonNode.DeepEquals(CanonicalTree.FromDataset(theirs.Dataset, padOdd: true), CanonicalTree.FromDataset(ours.Dataset, padOdd: true)), Is.True, uid);
        }
    }

    private static DicomDataset Header(string file) => DicomFile.Open(Corpus.PathOf(file), DicomReadOptions.HeaderOnly).Dataset;

    private static string Uid(DicomDataset ds, DicomTag tag) => ds.GetString(tag)?.Trim('\0', ' ') ?? "";

    /// <summary>An attribute's value as Orthanc hands on our QIDO answer: its own JSON, the value as a string ("Value").</summary>
    private static string Value(JsonNode answer, string tag) => answer[tag]?["Value"] switch
    {
        JsonValue v => v.ToString(),
        JsonArray { Count: > 0 } a => a[0] is JsonObject pn ? pn["Alphabetic"]?.GetValue<string>() ?? "" : a[0]!.ToString(),
        _ => "",
    };
}
