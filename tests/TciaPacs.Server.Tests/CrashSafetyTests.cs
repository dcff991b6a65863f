using System.Diagnostics;
using NUnit.Framework;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Archive.Storage;

namespace TciaPacs.Server.Tests;

/// <summary>
/// kill -9 in the middle of a large import: afterwards catalog and files agree, every instance the import reported
/// stored is there, and importing again completes the archive.
/// </summary>
public sealed class CrashSafetyTests
{
    [Test]
    public void Killed_import_loses_nothing_acknowledged_and_leaves_nothing_half_visible()
    {
        var input = ArchiveTestData.TempFolder("crash-in");
        var data = ArchiveTestData.TempFolder("crash-data");
        try
        {
            var files = ArchiveTestData.Write(input, 9, studies: 20, series: 4, instances: 25);
            Assert.That(files, Has.Count.EqualTo(2000));

            var reported = ImportUntilKilled(input, data, killAfter: 400);
            Assert.That(reported, Has.Count.GreaterThanOrEqualTo(400));
            Assert.That(reported, Has.Count.LessThan(2000), "the import was killed before the end");

            // Restart: opening the archive runs recovery.
            using (var catalog = SqliteCatalog.OpenDataDirectory(data))
            using (var index = new TciaPacs.Archive.Lucene.LuceneQueryIndex(Path.Combine(data, "index")))
            {
                var store = new FileStore(data);
                var report = new ArchiveRecovery(store, catalog, index).RecoverAsync().GetAwaiter().GetResult();
                // The index commits in batches, so the kill left it behind the catalog: recovery must bring it level.
                Assert.That(index.InstanceCount, Is.EqualTo(catalog.CountInstances()), "after recovery the query index has every catalogued instance");
                TestContext.Out.WriteLine($"recovery after kill: {report}");
                var rows = catalog.AllInstances().ToList();
                Assert.That(store.EnumerateFiles().Order(StringComparer.Ordinal), Is.EqualTo(rows.Select(r => r.RelativePath).Order(StringComparer.Ordinal)));
                Assert.That(Directory.EnumerateFiles(store.Root, "*" + FileStore.TempSuffix, SearchOption.AllDirectories), Is.Empty);
                var sops = rows.Select(r => r.SopInstanceUid).ToHashSet();
                Assert.That(reported.Where(r => !sops.Contains(r)), Is.Empty, "every instance reported stored is in the catalog");
                foreach (var r in rows) Assert.That(new FileInfo(store.FullPath(r.RelativePath)).Length, Is.EqualTo(r.Size));
            }

            var rerun = Tciapacs.Run("import", "--config", ArchiveTestData.AsSentConfig, input, "--data", data);
            Assert.That(rerun.ExitCode, Is.Zero, rerun.StdOut + rerun.StdErr);
            using (var index = new TciaPacs.Archive.Lucene.LuceneQueryIndex(Path.Combine(data, "index")))
                Assert.That(index.InstanceCount, Is.EqualTo(2000), "the import's index holds every instance once it has closed");
            var counts = Tciapacs.Run("query", "--data", data, "--level", "STUDY", "NumberOfStudyRelatedInstances=", "NumberOfStudyRelatedSeries=", "--json");
            var studies = System.Text.Json.JsonDocument.Parse(counts.StdOut).RootElement;
            Assert.That(studies.GetArrayLength(), Is.EqualTo(20));
            foreach (var s in studies.EnumerateArray())
            {
                Assert.That(s.GetProperty("00201208").GetProperty("Value")[0].GetRawText(), Is.EqualTo("100"));
                Assert.That(s.GetProperty("00201206").GetProperty("Value")[0].GetRawText(), Is.EqualTo("4"));
            }
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }

    /// <summary>Runs <c>tciapacs import --verbose</c> and SIGKILLs it once <paramref name="killAfter"/> files were reported stored; returns their SOP Instance UIDs.</summary>
    private static List<string> ImportUntilKilled(string input, string data, int killAfter)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "tciapacs.dll"), "import", "--config", ArchiveTestData.AsSentConfig, input, "--data", data, "--verbose", "--parallel", "4" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        _ = p.StandardError.ReadToEndAsync();
        var reported = new List<string>();
        var deadline = Stopwatch.StartNew();
        while (p.StandardOutput.ReadLine() is { } line)
        {
            var parts = line.Split('\t');
            if (parts.Length == 3 && parts[0] == "stored") reported.Add(parts[2]);
            if (reported.Count >= killAfter || deadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                p.Kill(entireProcessTree: true); // SIGKILL on Unix
                break;
            }
        }
        // Lines already written before the kill were acknowledged too.
        while (p.StandardOutput.ReadLine() is { } rest)
        {
            var parts = rest.Split('\t');
            if (parts.Length == 3 && parts[0] == "stored") reported.Add(parts[2]);
        }
        p.WaitForExit();
        return reported;
    }
}
