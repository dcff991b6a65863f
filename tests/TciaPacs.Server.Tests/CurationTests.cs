using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;
using TciaPacs.Archive;
using TciaPacs.Archive.Curation;
using TciaPacs.Archive.Lists;
using TciaPacs.Archive.Lucene;
using TciaPacs.Archive.Query;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Archive.Storage;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;

namespace TciaPacs.Server.Tests;

/// <summary>
/// Curators' moves of studies between collections, on the real archive (SQLite catalog, Lucene index, files): the study
/// is found in its new collection through the index and the catalog, after a restart, after a rebuild from the files
/// alone (<c>tciapacs reindex</c>), and a move a crash cut short is completed by the next <c>serve</c>.
/// </summary>
public sealed class CurationTests
{
    private static readonly CurationOptions Intake = new() { IntakeCollections = new Dictionary<string, string?> { ["intake"] = "trial" } };

    private static DicomArchive Open(string data) =>
        new(data, SqliteCatalog.OpenDataDirectory(data), index: new LuceneQueryIndex(Path.Combine(data, "index")), curation: Intake);

    private static string StudyUid(int run, int study) => $"1.2.826.0.1.3680043.10.544.{run}.{study}.1";

    /// <summary>The studies of <paramref name="collection"/> with Patient's Name <paramref name="patientName"/> (a key the index answers, not the catalog's columns).</summary>
    private static List<string> Studies(DicomArchive archive, string collection, string patientName) =>
        archive.Query.Find(new DicomQuery(QueryLevel.Study, [QueryKey.Create(DicomTags.PatientName, VR.PN, patientName)])
            { Collections = new HashSet<string>(StringComparer.Ordinal) { collection } }).Select(m => m.Entity.Key).Order(StringComparer.Ordinal).ToList();

    private static List<string> Cli(string data, string collection)
    {
        var r = Tciapacs.Run("query", "--config", ArchiveTestData.AsSentConfig, "--data", data, "--level", "STUDY", "--collection", collection, "StudyInstanceUID=", "--json");
        Assert.That(r.ExitCode, Is.Zero, r.StdOut + r.StdErr);
        return JsonDocument.Parse(r.StdOut).RootElement.EnumerateArray().Select(s => s.GetProperty("0020000D").GetProperty("Value")[0].GetString()!).Order(StringComparer.Ordinal).ToList();
    }

    [Test]
    public async Task A_moved_study_is_in_its_new_collection_for_the_index_the_catalog_a_restart_and_a_rebuild()
    {
        await InFolders(async (input, data) =>
        {
            var files = ArchiveTestData.Write(input, 31, studies: 3, series: 2, instances: 3);
            await using (var archive = Open(data))
            {
                foreach (var f in files)
                    Assert.That((await archive.StoreAsync(StoreRequest.FromFile(f, "intake"))).Status, Is.EqualTo(StoreStatus.Success));
                // Patient P31-0 (Çelik^Zoë) has studies 0 and 2.
                Assert.That(Studies(archive, "intake", "Çelik^Zoë"), Is.EqualTo(new[] { StudyUid(31, 0), StudyUid(31, 2) }));

                var move = await archive.MoveStudyAsync(StudyUid(31, 0), "trial", "tester");
                Assert.That(move, Is.EqualTo(new StudyMove(StudyUid(31, 0), "intake", "trial", 6, MoveOutcome.Moved)));
                Assert.That(Studies(archive, "trial", "Çelik^Zoë"), Is.EqualTo(new[] { StudyUid(31, 0) }), "found in the new collection through the index");
                Assert.That(Studies(archive, "intake", "Çelik^Zoë"), Is.EqualTo(new[] { StudyUid(31, 2) }), "and no longer in the old one");
                var instances = archive.Query.Find(new DicomQuery(QueryLevel.Image, [QueryKey.Create(DicomTags.StudyInstanceUID, VR.UI, StudyUid(31, 0))])
                    { Collections = new HashSet<string>(StringComparer.Ordinal) { "trial" } }).Count();
                Assert.That(instances, Is.EqualTo(6), "every instance went along");
                Assert.That(archive.CollectionNames, Is.SupersetOf(new[] { "intake", "trial" }));

                Assert.That((await archive.MoveStudyAsync(StudyUid(31, 0), "trial", "tester")).Outcome, Is.EqualTo(MoveOutcome.Unchanged));
                Assert.That((await archive.MoveStudyAsync("1.2.3.4.5", "trial", "tester")).Outcome, Is.EqualTo(MoveOutcome.NotFound));
                var log = archive.Curation.Log(10);
                Assert.That(log, Has.Count.EqualTo(1), "only the move that moved something is logged");
                Assert.That((log[0].Who, log[0].From, log[0].To, log[0].StudyInstanceUid, log[0].Instances), Is.EqualTo(("tester", "intake", "trial", StudyUid(31, 0), 6)));

                // A store into the old collection of a moved study is refused, as any store into another collection.
                var late = await archive.StoreAsync(StoreRequest.FromFile(files[0], "intake"));
                Assert.That(late.Status, Is.Not.EqualTo(StoreStatus.Success));
                Assert.That(archive.Files.ReadCollection(FileStore.StudyFolderOf(FileStore.SeriesFolder(StudyUid(31, 0), "x"))), Is.EqualTo("trial"),
                    "the study folder's marker names the new collection");
            }

            await using (var archive = Open(data))
                Assert.That(Studies(archive, "trial", "Çelik^Zoë"), Is.EqualTo(new[] { StudyUid(31, 0) }), "after a restart");
            var rebuild = Tciapacs.Run("reindex", "--config", ArchiveTestData.AsSentConfig, "--data", data);
            Assert.That(rebuild.ExitCode, Is.Zero, rebuild.StdOut + rebuild.StdErr);
            Assert.That(Cli(data, "trial"), Is.EqualTo(new[] { StudyUid(31, 0) }), "a rebuild from the files alone keeps the move");
            Assert.That(Cli(data, "intake"), Is.EqualTo(new[] { StudyUid(31, 1), StudyUid(31, 2) }));
        });
    }

    [Test]
    public async Task A_move_a_crash_cut_short_is_completed_by_the_next_serve()
    {
        await InFolders(async (input, data) =>
        {
            var files = ArchiveTestData.Write(input, 32, studies: 2, series: 1, instances: 4);
            await using (var archive = Open(data))
                foreach (var f in files) await archive.StoreAsync(StoreRequest.FromFile(f, "intake"));
            // The crash: the move was journalled and its marker replaced; the catalog and index still say intake.
            new NamedDocumentStore<PendingMove>(Path.Combine(data, "curation"), "pending")
                .Save(FileStore.HashUid(StudyUid(32, 1)), new PendingMove(StudyUid(32, 1), "intake", "trial", "curator", DateTimeOffset.UtcNow));
            using (var files2 = new FileStore(data)) files2.ReplaceCollectionMarker(StudyUid(32, 1), "trial");
            Assert.That(Cli(data, "trial"), Is.Empty, "before the restart the catalog has it in intake");

            var config = Path.Combine(data, "serve.json");
            File.WriteAllText(config, """
                { "Deidentification": { "Default": { "Profile": "None" } }, "Http": { "Host": "127.0.0.1" },
                  "Curation": { "IntakeCollections": { "intake": "trial" } } }
                """);
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "tciapacs.dll"), "serve", "--config", config, "--data", data,
                         "--http-port", ArchiveTestData.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
                         "--dicom-port", ArchiveTestData.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture) })
                psi.ArgumentList.Add(a);
            using (var serve = Process.Start(psi)!)
            {
                var output = new System.Text.StringBuilder();
                serve.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
                serve.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
                serve.BeginOutputReadLine();
                serve.BeginErrorReadLine();
                var clock = Stopwatch.StartNew();
                while (!Text(output).Contains("Ready", StringComparison.Ordinal) && !serve.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(100);
                using (var kill = Process.Start("kill", ["-TERM", serve.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
                Assert.That(serve.WaitForExit(TimeSpan.FromSeconds(30)), Is.True);
                serve.WaitForExit();
                Assert.That(Text(output), Does.Contain($"Completing the move of study {StudyUid(32, 1)} from intake to trial by curator")
                    .And.Contain("Recovery completed 1 interrupted curator moves").And.Contain("Intake collections (curators only, never public): intake -> trial"), Text(output));
            }
            Assert.That(Directory.EnumerateFiles(Path.Combine(data, "curation", "pending")), Is.Empty, "the journal entry is gone once the move is complete");
            Assert.That(Cli(data, "trial"), Is.EqualTo(new[] { StudyUid(32, 1) }));
            Assert.That(Cli(data, "intake"), Is.EqualTo(new[] { StudyUid(32, 0) }));
            await using (var archive = Open(data))
            {
                Assert.That(Studies(archive, "trial", "Doe^John"), Is.EqualTo(new[] { StudyUid(32, 1) }), "the index has it in its new collection");
                Assert.That(archive.Curation.Log(5).Select(e => (e.Who, e.StudyInstanceUid, e.To)), Is.EqualTo(new[] { ("curator", StudyUid(32, 1), "trial") }));
            }
        });
    }

    [Test]
    public async Task A_deletion_a_crash_cut_short_is_completed_at_the_next_start()
    {
        await InFolders(async (input, data) =>
        {
            var files = ArchiveTestData.Write(input, 33, studies: 2, series: 2, instances: 2);
            await using (var archive = Open(data))
            {
                foreach (var f in files) await archive.StoreAsync(StoreRequest.FromFile(f, "intake"));
                var published = await archive.MoveStudyAsync(StudyUid(33, 0), "trial", "curator");
                Assert.That(published.Outcome, Is.EqualTo(MoveOutcome.Moved));
                Assert.That((await archive.Curation.DeleteAsync(StudyUid(33, 0), null, "curator")).Outcome, Is.EqualTo(DeletionOutcome.NotInIntake), "published data is withdrawn first");
                var series = await archive.Curation.DeleteAsync(StudyUid(33, 1), "1.2.826.0.1.3680043.10.544.33.1.0.2", "curator");
                Assert.That((series.Outcome, series.Instances), Is.EqualTo((DeletionOutcome.Deleted, 2)));
                Assert.That((await archive.Curation.DeleteAsync(StudyUid(33, 1), "1.2.826.0.1.3680043.10.544.33.1.0.2", "curator")).Outcome, Is.EqualTo(DeletionOutcome.NotFound));
            }
            // The crash: the rest of study 1 journalled for deletion, and some of its files already gone.
            new NamedDocumentStore<PendingMove>(Path.Combine(data, "curation"), "pending").Save(FileStore.HashUid(StudyUid(33, 1)),
                new PendingMove(StudyUid(33, 1), "intake", "", "curator", DateTimeOffset.UtcNow) { Action = "delete" });
            using (var catalog = SqliteCatalog.OpenDataDirectory(data))
                File.Delete(Path.Combine(data, "files", catalog.InstanceFiles(StudyUid(33, 1)).First().RelativePath));
            await using (var archive = Open(data))
            {
                await archive.Recovery.RecoverAsync();
                Assert.That(await archive.Curation.ResumeAsync(), Is.EqualTo(1));
                Assert.That(archive.Catalog.CollectionOfStudy(StudyUid(33, 1)), Is.Null, "nothing of the study is left");
                Assert.That(Directory.Exists(archive.Files.FullPath(FileStore.StudyFolderOf(FileStore.SeriesFolder(StudyUid(33, 1), "x")))), Is.False,
                    "its folder and collection marker are gone");
                Assert.That(Studies(archive, "intake", "Doe^John"), Is.Empty, "nor in the index");
                Assert.That(Studies(archive, "trial", "Çelik^Zoë"), Is.EqualTo(new[] { StudyUid(33, 0) }));
                Assert.That(archive.Curation.Log(10).Select(e => (e.Action, e.StudyInstanceUid, e.SeriesInstanceUid)), Is.EqualTo(new[]
                {
                    ("move", StudyUid(33, 0), (string?)null), ("delete", StudyUid(33, 1), "1.2.826.0.1.3680043.10.544.33.1.0.2"), ("delete", StudyUid(33, 1), null),
                }));
            }
            var rebuild = Tciapacs.Run("reindex", "--config", ArchiveTestData.AsSentConfig, "--data", data);
            Assert.That(rebuild.ExitCode, Is.Zero, rebuild.StdOut + rebuild.StdErr);
            Assert.That(Cli(data, "intake").Concat(Cli(data, "trial")), Is.EqualTo(new[] { StudyUid(33, 0) }), "a rebuild finds nothing deleted");
        });
    }

    /// <summary>Runs <paramref name="test"/> with an input and a data folder of its own, removed after.</summary>
    private static async Task InFolders(Func<string, string, Task> test)
    {
        var input = ArchiveTestData.TempFolder("cur-in");
        var data = ArchiveTestData.TempFolder("cur-data");
        try
        {
            await test(input, data);
        }
        finally
        {
            Directory.Delete(input, true);
            Directory.Delete(data, true);
        }
    }

    private static string Text(System.Text.StringBuilder output)
    {
        lock (output) return output.ToString();
    }
}
