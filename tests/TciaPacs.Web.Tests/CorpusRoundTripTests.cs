using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Archive;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;
using TciaPacs.Dicom.Formats;
using TciaPacs.Dicom.Formats.Json;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Web.Tests;

/// <summary>
/// Every corpus file that parses goes in by STOW-RS and comes back by WADO-RS element for element; its metadata is the
/// DICOM JSON of the data set with bulk data as BulkDataURIs, and each BulkDataURI returns the element's bytes. STOW
/// answers what the store pipeline decides, checked against a second archive storing the same files directly.
/// </summary>
public sealed class CorpusRoundTripTests : WebServerFixture
{
    [Test]
    public async Task Every_readable_corpus_file_round_trips_through_stow_wado_and_metadata()
    {
        var referenceDir = Path.Combine(Path.GetTempPath(), "tciapacs-web-ref-" + Guid.NewGuid().ToString("N")[..8]);
        await using var reference = new DicomArchive(referenceDir, SqliteCatalog.OpenDataDirectory(referenceDir));
        var problems = new List<string>();
        int stored = 0, failed = 0, bulk = 0;
        try
        {
            foreach (var entry in Corpus.Entries)
            {
                DicomFile original;
                try
                {
                    original = DicomFile.Open(entry.FullPath, new DicomReadOptions { LargeValueThreshold = long.MaxValue });
                    if (original.Dataset.Count == 0) continue;
                }
                catch (DicomParseException)
                {
                    continue;
                }
                var expected = await reference.StoreAsync(StoreRequest.FromFile(entry.FullPath, StoreRequest.DefaultCollection, StoreDoor.Stow));
                var (response, body) = await StowAsync([await File.ReadAllBytesAsync(entry.FullPath)]);
                var status = (int)response.StatusCode;
                if (!expected.IsStored)
                {
                    failed++;
                    var reason = body.GetSequence(DicomTags.FailedSOPSequence)?.Items.FirstOrDefault()?.GetInts(DicomTags.FailureReason).FirstOrDefault();
                    if (status != 409 || reason != (expected.ReasonCode ?? expected.DimseStatus))
                        problems.Add($"{entry.Path}: store says {expected}, STOW answered {status} reason {reason:X4}");
                    continue;
                }
                var item = body.GetSequence(DicomTags.ReferencedSOPSequence)?.Items.SingleOrDefault();
                if (status is not (200 or 202) || item == null)
                {
                    problems.Add($"{entry.Path}: store says {expected}, STOW answered {status}");
                    continue;
                }
                if (expected.Status != StoreStatus.Success) continue; // a duplicate of an earlier file: that one was compared
                stored++;
                var url = item.GetString(DicomTags.RetrieveURL)!;
                var check = await CompareAsync(entry.Path, url, original);
                problems.AddRange(check.Problems);
                bulk += check.BulkChecked;
            }
        }
        finally
        {
            Directory.Delete(referenceDir, true);
        }
        TestContext.Out.WriteLine($"{stored} stored and compared, {failed} refused as the pipeline refuses them, {bulk} BulkDataURIs fetched");
        Assert.That(stored, Is.GreaterThan(150));
        Assert.That(problems, Is.Empty, string.Join('\n', problems.Take(40)));
        Assert.That(Directory.EnumerateFiles(TempDirectory), Is.Empty, "no spool files are left behind");
    }

    /// <summary>
    /// The data set without group lengths (gggg,0000): the store pipeline rewrites files that lack a preamble or file
    /// meta, and the writer leaves out these retired elements (PS3.5 7.2), as dcmtk does by default.
    /// </summary>
    private static DicomDataset WithoutGroupLengths(DicomDataset ds)
    {
        var copy = new DicomDataset();
        foreach (var e in ds)
        {
            if (e.Tag.IsGroupLength) continue;
            copy.Add(e is DicomSequence sq ? new DicomSequence(sq.Tag, sq.Items.Select(WithoutGroupLengths)) : e);
        }
        return copy;
    }

    private async Task<(List<string> Problems, int BulkChecked)> CompareAsync(string name, string url, DicomFile original)
    {
        var problems = new List<string>();
        // WADO-RS as stored: the data set must be the one sent, element for element.
        using (var response = await Http.SendAsync(Get(url, "multipart/related; type=\"application/dicom\"; transfer-syntax=*")))
        {
            var parts = await ReadParts(response);
            if (parts.Count != 1) return ([$"{name}: WADO-RS gave {parts.Count} parts"], 0);
            var back = DicomFile.Read(new MemoryStream(parts[0].Body), new DicomReadOptions { LargeValueThreshold = long.MaxValue });
            var (a, b) = (CanonicalTree.FromDataset(WithoutGroupLengths(original.Dataset), padOdd: true), CanonicalTree.FromDataset(WithoutGroupLengths(back.Dataset), padOdd: true));
            if (!JsonNode.DeepEquals(a, b))
            {
                var diff = a.Zip(b).FirstOrDefault(p => !JsonNode.DeepEquals(p.First, p.Second));
                problems.Add($"{name}: the retrieved data set differs from the one stored ({a.Count} vs {b.Count} elements; first difference {diff.First?.ToJsonString()} vs {diff.Second?.ToJsonString()})");
            }
            if (!parts[0].Headers["Content-Type"].Contains($"transfer-syntax={original.TransferSyntax.Uid}", StringComparison.Ordinal))
                problems.Add($"{name}: part Content-Type {parts[0].Headers["Content-Type"]}, stored as {original.TransferSyntax.Uid}");
        }
        // Metadata: the data set as DICOM JSON, bulk data replaced by URIs under the instance.
        var json = await Http.GetStringAsync(url + "/metadata");
        var expectedJson = DicomJson.SerializeArray([original.Dataset], new DicomJsonOptions
        {
            BulkDataUriFactory = (_, path) => $"{url}/bulkdata/{Wado.BulkDataPath.Format(path)}",
        });
        if (json != expectedJson) problems.Add($"{name}: metadata differs from the data set's DICOM JSON");
        var metadata = DicomJson.DeserializeArray(json)[0];
        var bulk = 0;
        foreach (var e in metadata.Where(e => e.Buffer is BulkDataUriBuffer).Take(3))
        {
            var uri = ((BulkDataUriBuffer)e.Buffer).Uri;
            using var r = await Http.SendAsync(Get(uri, "application/octet-stream"));
            if (original.Dataset.Get(e.Tag) is DicomFragmentSequence) continue;
            var bytes = await r.Content.ReadAsByteArrayAsync();
            if (!bytes.AsSpan().SequenceEqual(original.Dataset.Get(e.Tag)!.Buffer.GetBytes().Span)) problems.Add($"{name}: bulk data {e.Tag} differs");
            bulk++;
        }
        return (problems, bulk);
    }
}
