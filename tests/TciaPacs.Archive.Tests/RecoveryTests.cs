using TciaPacs.Archive.Storage;
using TciaPacs.Archive.Storing;

namespace TciaPacs.Archive.Tests;

public sealed class RecoveryTests
{
    private string _input = "";

    [SetUp]
    public void SetUp() => _input = Path.Combine(Path.GetTempPath(), "tciapacs-rec-" + Guid.NewGuid().ToString("N")[..12]);

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_input)) Directory.Delete(_input, true);
    }

    private static List<List<string>> RunAll(DicomArchive archive) =>
        QueryCases.All().Select(c => archive.Query.Find(c.Query).Select(m => m.Entity.Key + "|" + string.Join("|", m.Response.Select(e => e.Tag + "=" + m.Response.GetString(e)))).ToList()).ToList();

    [Test]
    public async Task Rebuild_from_files_alone_gives_the_same_query_results()
    {
        var files = GeneratedData.Write(_input, QueryCases.Run, instances: 2);
        await using var t = new TestArchive();
        foreach (var f in files) await t.StoreAsync(f, "gen");
        var before = RunAll(t.Archive);
        var count = t.Archive.Catalog.CountInstances();
        await t.Archive.DisposeAsync();
        foreach (var db in Directory.EnumerateFiles(t.DataDirectory, "catalog.db*")) File.Delete(db);
        await t.ReopenAsync();
        Assert.That(t.Archive.Catalog.CountInstances(), Is.Zero);
        var report = await t.Archive.Recovery.RebuildAsync();
        Assert.That(report.FilesAdopted, Is.EqualTo(count), report.ToString());
        Assert.That(RunAll(t.Archive), Is.EqualTo(before));
    }

    [Test]
    public async Task Recovery_removes_temporary_files_adopts_complete_orphans_and_drops_rows_without_files()
    {
        var files = GeneratedData.Write(_input, 31, patients: 1, studies: 1, series: 2, instances: 3);
        await using var t = new TestArchive();
        foreach (var f in files) Assert.That((await t.StoreAsync(f)).Status, Is.EqualTo(StoreStatus.Success));
        var instances = t.Archive.Catalog.AllInstances().ToList();
        await t.Archive.DisposeAsync();

        // A crash mid-write leaves a .part file; a file deleted by hand leaves a row without a file; an unreadable file
        // the catalog does not know is removed.
        var root = Path.Combine(t.DataDirectory, "files");
        var folder = Path.GetDirectoryName(Path.Combine(root, instances[0].RelativePath))!;
        File.WriteAllBytes(Path.Combine(folder, ".deadbeef.part"), new byte[100]);
        File.Delete(Path.Combine(root, instances[1].RelativePath));
        var junk = Path.Combine(folder, "0000000000000000-00000000.dcm");
        File.WriteAllBytes(junk, new byte[] { 1, 2, 3 });

        await t.ReopenAsync();
        var report = await t.Archive.Recovery.RecoverAsync();
        Assert.That(report.TemporaryFilesRemoved, Is.EqualTo(1), report.ToString());
        Assert.That(report.RowsWithoutFileRemoved, Is.EqualTo(1), report.ToString());
        Assert.That(report.OrphanFilesRemoved, Is.EqualTo(1), report.ToString());
        Assert.That(File.Exists(junk), Is.False);
        Assert.That(t.Archive.Catalog.CountInstances(), Is.EqualTo(5));

        // The lost instance, stored again, comes back; the catalog and the files agree.
        var lost = files.Single(f => Path.GetFileName(f) == PathOf(instances[1].SopInstanceUid));
        Assert.That((await t.StoreAsync(lost)).Status, Is.EqualTo(StoreStatus.Success));
        AssertAgree(t);
    }

    [Test]
    public async Task A_complete_file_without_a_row_is_adopted()
    {
        var files = GeneratedData.Write(_input, 32, patients: 1, studies: 1, series: 1, instances: 3);
        await using var t = new TestArchive();
        foreach (var f in files) await t.StoreAsync(f);
        var gone = t.Archive.Catalog.AllInstances().First();
        await t.Archive.Catalog.RemoveInstanceAsync(gone.SopInstanceUid);
        Assert.That(t.Archive.Catalog.CountInstances(), Is.EqualTo(2));
        var report = await t.Archive.Recovery.RecoverAsync();
        Assert.That(report.FilesAdopted, Is.EqualTo(1), report.ToString());
        Assert.That(t.Archive.Catalog.FindInstance(gone.SopInstanceUid), Is.EqualTo(gone));
        AssertAgree(t);
    }

    [Test]
    public async Task A_file_torn_before_it_was_durable_is_removed_not_adopted()
    {
        var files = GeneratedData.Write(_input, 33, patients: 1, studies: 1, series: 1, instances: 3);
        await using var t = new TestArchive();
        foreach (var f in files) await t.StoreAsync(f);
        var torn = t.Archive.Catalog.AllInstances().First();
        await t.Archive.Catalog.RemoveInstanceAsync(torn.SopInstanceUid);
        await t.Archive.DisposeAsync();
        // What a crash can leave of a renamed but not yet synced file: it parses, but its last blocks never reached the disk.
        var path = Path.Combine(t.DataDirectory, "files", torn.RelativePath);
        var bytes = File.ReadAllBytes(path);
        Array.Fill(bytes, (byte)'X', bytes.Length - 4, 4);
        File.WriteAllBytes(path, bytes);

        await t.ReopenAsync();
        var report = await t.Archive.Recovery.RecoverAsync();
        Assert.That(report.FilesAdopted, Is.Zero, report.ToString());
        Assert.That(report.OrphanFilesRemoved, Is.EqualTo(1), report.ToString());
        Assert.That(report.Problems.Single(), Does.Contain("does not match the hash in its name"));
        Assert.That(t.Archive.Catalog.FindInstance(torn.SopInstanceUid), Is.Null);
        AssertAgree(t);
    }

    private static string PathOf(string sop)
    {
        // Generated names are p{p}s{s}e{se}i{i}.dcm and SOP Instance UIDs end with .{p}.{s}.{se}.{i}.4.
        var parts = sop.Split('.');
        return $"p{parts[^5]}s{parts[^4]}e{parts[^3]}i{parts[^2]}.dcm";
    }

    internal static void AssertAgree(TestArchive t)
    {
        var rows = t.Archive.Catalog.AllInstances().Select(i => i.RelativePath).Order(StringComparer.Ordinal).ToList();
        var onDisk = t.Archive.Files.EnumerateFiles().Order(StringComparer.Ordinal).ToList();
        Assert.That(onDisk, Is.EqualTo(rows));
        Assert.That(Directory.EnumerateFiles(t.Archive.Files.Root, "*" + FileStore.TempSuffix, SearchOption.AllDirectories), Is.Empty);
    }
}
