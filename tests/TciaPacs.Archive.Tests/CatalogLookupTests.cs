using Microsoft.Data.Sqlite;
using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Tests;

/// <summary>
/// The store path's lookups (<see cref="ICatalog.FindInstance"/>) run on read
/// connections the catalog keeps open with their statements prepared. Kept connections must still see every commit,
/// must never hold a read transaction that stops the WAL from being checkpointed, and must close with the catalog.
/// </summary>
public sealed class CatalogLookupTests : TempFolderTest
{
    // Pooled connections keep the database files open; the base class then deletes the folder.
    [TearDown]
    public void ClosePooledConnections() => SqliteConnection.ClearAllPools();

    [Test]
    public async Task Kept_lookup_connections_see_each_commit_and_never_hold_back_a_checkpoint()
    {
        using var catalog = SqliteCatalog.OpenDataDirectory(Folder);
        for (var i = 0; i < 20; i++)
        {
            var entry = GeneratedData.Entry(100 + i);
            // Looked up before (absent), committed, looked up after on whichever kept connection comes next.
            Parallel.For(0, 8, _ => Assert.That(catalog.FindInstance(entry.SopInstanceUid), Is.Null));
            Assert.That((await catalog.CommitAsync(entry, Task.CompletedTask)).Outcome, Is.EqualTo(CommitOutcome.Inserted));
            Parallel.For(0, 8, _ => Assert.That(catalog.FindInstance(entry.SopInstanceUid)?.SopInstanceUid, Is.EqualTo(entry.SopInstanceUid)));
        }
        // A checkpoint that must wait for every reader: it completes (busy = 0) and empties the WAL.
        using (var checkpoint = new SqliteConnection($"Data Source={catalog.DatabasePath}"))
        {
            checkpoint.Open();
            using var cmd = checkpoint.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            using var r = cmd.ExecuteReader();
            Assert.That(r.Read(), Is.True);
            Assert.That(r.GetInt64(0), Is.Zero, "a kept lookup connection held a read transaction");
        }
        Assert.That(new FileInfo(catalog.DatabasePath + "-wal").Length, Is.Zero);
    }

    [Test]
    public async Task A_studys_Patient_ID_comes_from_its_patient_row()
    {
        using var catalog = SqliteCatalog.OpenDataDirectory(Folder);
        var one = GeneratedData.Instance(7, 1, 0, 0, 0);
        var several = GeneratedData.Instance(7, 2, 1, 0, 0);
        several.AddOrUpdate(DicomTags.PatientID, VR.LO, "ID-A", "ID-B");
        foreach (var header in new[] { one, several })
            Assert.That((await catalog.CommitAsync(GeneratedData.Entry(header), Task.CompletedTask)).Outcome, Is.EqualTo(CommitOutcome.Inserted));
        Assert.That(catalog.PatientIdOfStudy(one.GetString(DicomTags.StudyInstanceUID)!), Is.EqualTo("GEN7-1"));
        Assert.That(catalog.PatientIdOfStudy(several.GetString(DicomTags.StudyInstanceUID)!), Is.EqualTo("ID-A\\ID-B"), "all values, as the query engine matches them");
        Assert.That(catalog.PatientIdOfStudy("1.2.3.404"), Is.Null);
    }

    [Test]
    public async Task Paging_through_the_instance_files_visits_each_once_in_order_while_commits_go_on()
    {
        using var catalog = SqliteCatalog.OpenDataDirectory(Folder);
        var entries = Enumerable.Range(0, 23).Select(i => GeneratedData.Entry(300 + i)).ToList();
        foreach (var e in entries) await catalog.CommitAsync(e, Task.CompletedTask);
        var seen = new List<InstanceFile>();
        string? after = null;
        var pages = 0;
        while (true)
        {
            var page = catalog.InstanceFilesPage(after, 5);
            pages++;
            seen.AddRange(page);
            // A replacement committed between pages (as recompress makes them) moves no instance in or out of the walk.
            if (page.Count > 0)
            {
                var replaced = entries.Single(e => e.SopInstanceUid == page[0].SopInstanceUid) with { ReplaceExisting = true, ContentHash = new string('b', 64), Size = 200 };
                Assert.That((await catalog.CommitAsync(replaced, Task.CompletedTask)).Outcome, Is.Not.EqualTo(CommitOutcome.Inserted));
            }
            if (page.Count < 5) break;
            after = page[^1].SopInstanceUid;
        }
        Assert.That(pages, Is.EqualTo(5));
        Assert.That(seen.Select(f => f.SopInstanceUid), Is.EqualTo(entries.Select(e => e.SopInstanceUid).Order(StringComparer.Ordinal)));
        var first = entries.Single(e => e.SopInstanceUid == seen[0].SopInstanceUid);
        Assert.That(seen[0].Size, Is.EqualTo(100), "the page carries each file's size (as it was when read)");
        Assert.That(catalog.InstanceFilesPage(null, 1).Single().Size, Is.EqualTo(200));
        Assert.That(seen[0].RelativePath, Is.EqualTo(first.RelativePath));
        Assert.That(catalog.InstanceFilesPage(seen[^1].SopInstanceUid, 5), Is.Empty);
    }

    [Test]
    public void Disposing_the_catalog_closes_its_kept_connections()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("counts open files in /proc/self/fd");
        var catalog = SqliteCatalog.OpenDataDirectory(Folder);
        var path = catalog.DatabasePath;
        Parallel.For(0, 8, i => catalog.FindInstance("1.2.3." + i));
        Assert.That(OpenHandles(path), Is.GreaterThan(1), "the writer's and the kept lookup connections");
        catalog.Dispose();
        Assert.That(OpenHandles(path), Is.Zero);
    }

    [Test]
    public void Many_statement_texts_on_a_caching_connection_leave_an_open_reader_intact()
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(Directory.CreateDirectory(Folder).FullName, "t.db")}");
        c.Open();
        Sql.CacheStatements(c);
        Sql.Execute(c, null, "CREATE TABLE t(v INTEGER)");
        for (var i = 0; i < 10; i++) Sql.Execute(c, null, "INSERT INTO t(v) VALUES($v)", ("$v", i));
        // An outer reader stays open while 200 other texts are run on the same connection: far past the cache's bound.
        var outer = Sql.Rent(c, null, "SELECT v FROM t ORDER BY v", []);
        var seen = new List<long>();
        using (var r = outer.ExecuteReader())
        {
            while (r.Read())
            {
                seen.Add(r.GetInt64(0));
                for (var k = 0; k < 20; k++)
                    Assert.That(Sql.Scalar(c, null, $"SELECT COUNT(*) + {seen.Count * 100 + k} FROM t"), Is.EqualTo(10L + seen.Count * 100 + k));
            }
        }
        Sql.Return(c, outer);
        Assert.That(seen, Is.EqualTo(Enumerable.Range(0, 10).Select(i => (long)i)));
        Sql.ReleaseStatements(c);
    }

    private static int OpenHandles(string databasePath) =>
        new DirectoryInfo("/proc/self/fd").GetFileSystemInfos().Count(f => f.LinkTarget is { } target && target.StartsWith(databasePath, StringComparison.Ordinal));
}
