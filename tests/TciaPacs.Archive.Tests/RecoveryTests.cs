using TciaPacs.Archive.Catalog;
using TciaPacs.Dicom;
using TciaPacs.Archive.Storage;
using TciaPacs.Archive.Storing;

namespace TciaPacs.Archive.Tests;

public sealed class RecoveryTests : TempFolderTest
{
    private static List<List<string>> RunAll(DicomArchive archive) =>
        QueryCases.All().Select(c => archive.Query.Find(c.Query).Select(m => m.Entity.Key + "|" + string.Join("|", m.Response.Select(e => e.Tag + "=" + m.Response.GetString(e)))).ToList()).ToList();

    [Test]
    public async Task Rebuild_from_files_alone_gives_the_same_query_results()
    {
        var files = GeneratedData.Write(Folder, QueryCases.Run, instances: 2);
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
        var files = GeneratedData.Write(Folder, 31, patients: 1, studies: 1, series: 2, instances: 3);
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
        var files = GeneratedData.Write(Folder, 32, patients: 1, studies: 1, series: 1, instances: 3);
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
    public async Task New_instances_whose_catalog_records_never_reached_the_disk_are_recorded_again_by_recovery()
    {
        // A new instance's record goes to the catalog's WAL without a flush of its own: its file is durable first. What
        // a power loss can leave is then the files with the catalog as it was before those WAL frames; copy exactly
        // that (catalog.db without its -wal) while the archive runs, and start on the copy.
        var files = GeneratedData.Write(Folder, 34, patients: 1, studies: 2, series: 2, instances: 3);
        await using var t = new TestArchive();
        var before = await StoreAllAsync(t, files);
        var copy = Path.Combine(Folder, "after-power-loss");
        CopyFolder(Path.Combine(t.DataDirectory, "files"), Path.Combine(copy, "files"));
        File.Copy(Path.Combine(t.DataDirectory, "catalog.db"), Path.Combine(copy, "catalog.db"));

        await using var restarted = new TestArchive(dataDirectory: copy);
        Assert.That(restarted.Archive.Catalog.CountInstances(), Is.Zero, "the records were in the WAL only");
        var report = await restarted.Archive.Recovery.RecoverAsync();
        Assert.That(report.FilesAdopted, Is.EqualTo(files.Count), report.ToString());
        Assert.That(report.Problems, Is.Empty);
        var after = Instances(restarted);
        Assert.That(after.Select(i => (i.SopInstanceUid, i.RelativePath, i.ContentHash, i.Size)),
            Is.EqualTo(before.Select(i => (i.SopInstanceUid, i.RelativePath, i.ContentHash, i.Size))));
        Assert.That(RunAll(restarted.Archive), Is.EqualTo(RunAll(t.Archive)));
    }

    /// <summary>Stores every file (each must succeed); the catalog's instances, by SOP Instance UID.</summary>
    private static async Task<List<CatalogInstance>> StoreAllAsync(TestArchive t, IEnumerable<string> files)
    {
        foreach (var f in files) Assert.That((await t.StoreAsync(f)).Status, Is.EqualTo(StoreStatus.Success));
        return Instances(t);
    }

    private static List<CatalogInstance> Instances(TestArchive t) =>
        t.Archive.Catalog.AllInstances().OrderBy(i => i.SopInstanceUid, StringComparer.Ordinal).ToList();

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Test]
    public async Task A_file_torn_before_it_was_durable_is_removed_not_adopted()
    {
        var files = GeneratedData.Write(Folder, 33, patients: 1, studies: 1, series: 1, instances: 3);
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

    /// <summary>The bytes after the File Meta Information (PS3.10 7.1), found here without the toolkit.</summary>
    private static byte[] DatasetBytes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.That(System.Text.Encoding.ASCII.GetString(bytes, 128, 4), Is.EqualTo("DICM"));
        var metaLength = BitConverter.ToUInt32(bytes, 140);
        return bytes[(int)(144 + metaLength)..];
    }

    [Test]
    public async Task An_archive_stored_with_SHA256_content_hashes_keeps_finding_duplicates_and_adopting_its_files()
    {
        var files = GeneratedData.Write(Folder, 34, patients: 1, studies: 1, series: 1, instances: 2);
        await using var t = new TestArchive();
        var stored = await StoreAllAsync(t, files);
        var root = Path.Combine(t.DataDirectory, "files");
        foreach (var i in stored)
        {
            // New stores hash with XXH128, over the data set only, and name the file after it.
            var xxh = Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(DatasetBytes(Path.Combine(root, i.RelativePath))));
            Assert.That(i.ContentHash, Is.EqualTo(xxh));
            Assert.That(i.RelativePath, Does.EndWith("-" + xxh[..8] + ".dcm"));
        }
        await t.Archive.DisposeAsync();

        // Make it an archive from before XXH128: SHA-256 in the catalog and in the file names.
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(t.DataDirectory, "catalog.db")};Pooling=False"))
        {
            db.Open();
            foreach (var i in stored)
            {
                var full = Path.Combine(root, i.RelativePath);
                var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(DatasetBytes(full)));
                var renamed = i.RelativePath[..i.RelativePath.LastIndexOf('-')] + "-" + sha[..8] + ".dcm";
                File.Move(full, Path.Combine(root, renamed));
                using var update = db.CreateCommand();
                update.CommandText = "UPDATE instance SET hash = $h, path = $p WHERE sop_uid = $s";
                update.Parameters.AddWithValue("$h", sha);
                update.Parameters.AddWithValue("$p", renamed);
                update.Parameters.AddWithValue("$s", i.SopInstanceUid);
                Assert.That(update.ExecuteNonQuery(), Is.EqualTo(1));
            }
        }
        await t.ReopenAsync();
        var legacy = t.Archive.Catalog.AllInstances().OrderBy(i => i.SopInstanceUid, StringComparer.Ordinal).ToList();
        Assert.That(legacy.Select(i => i.ContentHash.Length), Is.All.EqualTo(64));

        // The same content again: an identical duplicate, compared by SHA-256; other content: refused.
        var first = files.Single(f => Path.GetFileName(f) == PathOf(legacy[0].SopInstanceUid));
        var again = await t.StoreAsync(first);
        Assert.That(again.Status, Is.EqualTo(StoreStatus.SuccessDuplicate), again.Reason);
        var other = DicomFile.Open(files.Single(f => Path.GetFileName(f) == PathOf(legacy[1].SopInstanceUid)));
        other.Dataset.AddOrUpdate(DicomTags.SeriesDescription, "changed");
        var otherPath = Path.Combine(Folder, "other.dcm");
        other.Save(otherPath);
        Assert.That((await t.StoreAsync(otherPath)).Status, Is.EqualTo(StoreStatus.Refused));
        Assert.That(t.Archive.Catalog.AllInstances().OrderBy(i => i.SopInstanceUid, StringComparer.Ordinal), Is.EqualTo(legacy));

        // Recovery adopts a file named after its SHA-256, and records that hash.
        await t.Archive.Catalog.RemoveInstanceAsync(legacy[0].SopInstanceUid);
        var report = await t.Archive.Recovery.RecoverAsync();
        Assert.That(report.FilesAdopted, Is.EqualTo(1), report.ToString());
        Assert.That(t.Archive.Catalog.FindInstance(legacy[0].SopInstanceUid), Is.EqualTo(legacy[0]));
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
