using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using NUnit.Framework;
using TciaPacs.Dicom;
using TciaPacs.Dicom.IO;
using TciaPacs.Testing;

namespace TciaPacs.Dimse.Interop.Tests;

/// <summary>
/// Every corpus file dcmtk's storescu can send (proposing the file's own transfer syntax) is stored by C-STORE, and
/// comes back equal by C-MOVE (to a dcmtk storescp the test starts) and by C-GET (dcmtk getscu).
/// </summary>
public sealed class CorpusRoundTripTests
{
    /// <summary>storescu's option proposing a transfer syntax (its default proposes the uncompressed ones).</summary>
    private static string? StoreFlag(string ts) => ts switch
    {
        "1.2.840.10008.1.2" or "1.2.840.10008.1.2.1" => null,
        "1.2.840.10008.1.2.2" => "-xb",
        "1.2.840.10008.1.2.1.99" => "-xd",
        "1.2.840.10008.1.2.5" => "-xr",
        "1.2.840.10008.1.2.4.50" => "-xy",
        "1.2.840.10008.1.2.4.51" => "-xx",
        "1.2.840.10008.1.2.4.57" or "1.2.840.10008.1.2.4.70" => "-xs",
        "1.2.840.10008.1.2.4.80" => "-xt",
        "1.2.840.10008.1.2.4.81" => "-xu",
        "1.2.840.10008.1.2.4.90" => "-xv",
        "1.2.840.10008.1.2.4.91" => "-xw",
        "1.2.840.10008.1.2.4.100" => "-xm",
        "1.2.840.10008.1.2.4.101" => "-xh",
        "1.2.840.10008.1.2.4.102" => "-xn",
        "1.2.840.10008.1.2.4.103" => "-xl",
        _ => "",
    };

    private sealed record Sent(string File, string Sop, string Study, string Series, string Ts);

    private static readonly string[] DcmtkCannotSend =
    [
        "No SOP Class or Instance UID", "missing SOP class", "unknown storage SOP class", "No presentation context for", "Bad DICOM file",
        "unable to convert", "cannot access file", "DcmItem", "I/O suspension", "Unknown Tag & Data",
    ];

    [Test]
    public void Corpus_stored_by_storescu_comes_back_equal_by_C_MOVE_and_C_GET()
    {
        var work = ServerProcess.TempFolder("corpus");
        var moved = Path.Combine(work, "moved");
        var got = Path.Combine(work, "got");
        Directory.CreateDirectory(moved);
        Directory.CreateDirectory(got);
        var destPort = ServerProcess.FreePort();
        using var storescp = new DcmtkScp("storescp", ["-aet", "DEST", "+xa", "-od", moved, destPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], destPort);
        using var server = new ServerProcess(null, "--peer", $"DEST@127.0.0.1:{destPort}");
        try
        {
            var sent = new ConcurrentBag<Sent>();
            var ours = new ConcurrentBag<string>();
            var refused = new ConcurrentBag<string>();
            var skipped = new ConcurrentBag<string>();
            var entries = Corpus.Entries.Where(e => e.DcmtkParses).ToList();
            Parallel.ForEach(entries, new ParallelOptions { MaxDegreeOfParallelism = 4 }, entry =>
            {
                DicomFile header;
                try { header = DicomFile.Open(entry.FullPath, DicomReadOptions.HeaderOnly); }
                catch (DicomParseException) { skipped.Add(entry.Path); return; }
                var ts = header.TransferSyntax.Uid;
                var flag = StoreFlag(ts);
                if (flag == "") { skipped.Add(entry.Path + " (no storescu option for " + ts + ")"); return; }
                var args = new List<string> { "-aec", server.Ae };
                if (flag != null) args.Add(flag);
                args.AddRange(["127.0.0.1", server.PortText, entry.FullPath]);
                var r = Tciapacs.Dcmtk("storescu", [.. args]);
                var output = r.StdOut + r.StdErr;
                if (r.ExitCode == 0)
                {
                    sent.Add(new Sent(entry.FullPath, Uid(header.Dataset, DicomTags.SOPInstanceUID), Uid(header.Dataset, DicomTags.StudyInstanceUID), Uid(header.Dataset, DicomTags.SeriesInstanceUID), ts));
                }
                else if (output.Contains("Association Aborted", StringComparison.Ordinal) || output.Contains("Association Rejected", StringComparison.Ordinal)
                         || output.Contains("Peer aborted", StringComparison.Ordinal) || output.Contains("Association Request Failed", StringComparison.Ordinal))
                {
                    ours.Add($"{entry.Path}: {output}");
                }
                else if (DcmtkCannotSend.Any(m => output.Contains(m, StringComparison.Ordinal))) skipped.Add(entry.Path);
                else refused.Add($"{entry.Path}: {output.Trim().Split('\n').LastOrDefault()}");
            });
            Assert.That(ours, Is.Empty, "association failures on our side");
            Assert.That(server.Log, Does.Not.Contain("protocol error").And.Not.Contain("malformed DIMSE"));
            TestContext.Out.WriteLine($"{sent.Count} stored, {refused.Count} refused by the archive's policy, {skipped.Count} not sendable by storescu");
            foreach (var r in refused) TestContext.Out.WriteLine("refused: " + r);
            Assert.That(sent.Count, Is.GreaterThan(150), "most of the corpus is stored");

            // What the archive stored (the data sets as storescu sent them) is what must come back.
            var byUid = Directory.EnumerateFiles(Path.Combine(server.Data, "files"), "*.dcm", SearchOption.AllDirectories).Select(f =>
            {
                var h = DicomFile.Open(f, DicomReadOptions.HeaderOnly);
                return new Sent(f, Uid(h.Dataset, DicomTags.SOPInstanceUID), Uid(h.Dataset, DicomTags.StudyInstanceUID), Uid(h.Dataset, DicomTags.SeriesInstanceUID), h.TransferSyntax.Uid);
            }).ToList();
            Assert.That(byUid.Select(s => s.Sop).ToHashSet(), Is.EquivalentTo(sent.Select(s => s.Sop).ToHashSet()), "every instance acknowledged is stored, and only those");
            // Each file is named by its content hash, which the association computed while the data set arrived: it must
            // be the hash of what the file holds, or recovery would take the file for a torn one.
            Assert.That(byUid.Where(s => !Path.GetFileName(s.File).EndsWith($"-{DataSetHash(s.File)[..8]}.dcm", StringComparison.Ordinal)).Select(s => s.File), Is.Empty);

            // C-MOVE, per study, to storescp.
            foreach (var study in byUid.Select(s => s.Study).Distinct())
            {
                var r = Tciapacs.Dcmtk("movescu", "-S", "-aec", server.Ae, "-aem", "DEST", "127.0.0.1", server.PortText, "-k", "QueryRetrieveLevel=STUDY", "-k", $"StudyInstanceUID={study}");
                Assert.That(r.StdOut + r.StdErr, Does.Not.Contain("Association Aborted").And.Not.Contain("Peer aborted"));
            }
            // C-GET, per instance, preferring its transfer syntax.
            Parallel.ForEach(byUid, new ParallelOptions { MaxDegreeOfParallelism = 4 }, s =>
            {
                var prefer = StoreFlag(s.Ts) is { Length: > 0 } f ? "+" + f[1..] : "+xe";
                var folder = Path.Combine(got, Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(folder);
                Tciapacs.Dcmtk("getscu", "-S", "-aec", server.Ae, prefer, "-od", folder, "127.0.0.1", server.PortText,
                    "-k", "QueryRetrieveLevel=IMAGE", "-k", $"StudyInstanceUID={s.Study}", "-k", $"SeriesInstanceUID={s.Series}", "-k", $"SOPInstanceUID={s.Sop}");
            });

            var log = server.Log;
            int movedEqual = 0, gotEqual = 0;
            var differences = new List<string>();
            var gotFiles = Directory.GetFiles(got, "*", SearchOption.AllDirectories);
            foreach (var s in byUid)
            {
                // In implicit VR the VR of a few attributes (OB or OW, US or SS) is each reader's inference; the bytes must match.
                var implicitVr = s.Ts == TransferSyntax.ImplicitVRLittleEndian.Uid;
                // dcmtk (storescp, getscu) rewrites text padding on the way to disk: text values are compared decoded.
                JsonArray Canonical(string path) => Normalize(CorpusRoundTripTests.Canonical(path), implicitVr);
                var expected = Canonical(s.File);
                var m = Directory.GetFiles(moved).FirstOrDefault(f => f.EndsWith("." + s.Sop, StringComparison.Ordinal));
                if (m != null) { if (JsonNode.DeepEquals(Canonical(m), expected)) movedEqual++; else differences.Add($"C-MOVE of {s.File}: {FirstDifference(Canonical(m), expected)}"); }
                else Assert.That(log, Does.Contain($"no accepted presentation context for {s.Sop}"), $"C-MOVE of {s.File} neither arrived nor was refused by the destination");
                var g = gotFiles.FirstOrDefault(f => f.EndsWith("." + s.Sop, StringComparison.Ordinal));
                if (g != null) { if (JsonNode.DeepEquals(Canonical(g), expected)) gotEqual++; else differences.Add($"C-GET of {s.File}: {FirstDifference(Canonical(g), expected)}"); }
                else Assert.That(log, Does.Contain($"no accepted presentation context for {s.Sop}"), $"C-GET of {s.File} neither arrived nor was refused by getscu's proposals");
            }
            TestContext.Out.WriteLine($"{byUid.Count} stored instances: {movedEqual} equal by C-MOVE, {gotEqual} equal by C-GET");
            Assert.That(differences, Is.Empty);
            Assert.That(movedEqual, Is.GreaterThan(byUid.Count * 9 / 10));
            Assert.That(gotEqual, Is.GreaterThan(byUid.Count * 3 / 4));
            Assert.That(Directory.GetFiles(Path.Combine(server.Data, "tmp", "dimse")), Is.Empty, "no spool file left");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    private static readonly HashSet<string> TextVRs = ["AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"];

    internal static JsonArray Normalize(JsonArray tree, bool withoutVR)
    {
        // Group lengths (gggg,0000) are retired and recomputed by whoever writes the file (PS3.5 7.2); dcmtk drops Data
        // Set Trailing Padding (FFFC,FFFC), which has no meaning (PS3.10 7.2); file meta elements (0002,xxxx) that a
        // sender left inside a data set are not sent back in one (PS3.10 7.1: they belong to the file meta only).
        foreach (var groupLength in tree.OfType<JsonObject>().Where(n => n["tag"]?.GetValue<string>() is { } t && (t.EndsWith("0000", StringComparison.Ordinal) || t == "FFFCFFFC" || t.StartsWith("0002", StringComparison.Ordinal))).ToList())
            tree.Remove(groupLength);
        foreach (var node in tree.OfType<JsonObject>())
        {
            if (node["values"] != null && TextVRs.Contains(node["vr"]?.GetValue<string>() ?? ""))
            {
                node.Remove("sha");
                node.Remove("len");
            }
            if (withoutVR) node.Remove("vr");
            if (node["items"] is JsonArray items)
                foreach (var item in items.OfType<JsonArray>()) Normalize(item, withoutVR);
        }
        return tree;
    }

    internal static string FirstDifference(JsonArray actual, JsonArray expected)
    {
        for (var i = 0; i < Math.Max(actual.Count, expected.Count); i++)
        {
            var a = i < actual.Count ? actual[i] : null;
            var e = i < expected.Count ? expected[i] : null;
            if (!JsonNode.DeepEquals(a, e)) return $"got {a?.ToJsonString()} expected {e?.ToJsonString()}";
        }
        return "same";
    }

    /// <summary>XXH128 (hex) of a stored file's data set: the bytes after its file meta, whose group length the store always writes.</summary>
    private static string DataSetHash(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var start = 144 + System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(140));
        return Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(bytes.AsSpan(start)));
    }

    private static string Uid(DicomDataset ds, DicomTag tag) => ds.GetString(tag)?.Trim('\0', ' ') ?? "";

    private static JsonArray Canonical(string path) => CanonicalTree.FromDataset(DicomFile.Open(path).Dataset);
}
