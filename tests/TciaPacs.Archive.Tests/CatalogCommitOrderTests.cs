using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Sqlite;
using TciaPacs.Archive.Storing;
using TciaPacs.Dicom;

namespace TciaPacs.Archive.Tests;

/// <summary>
/// The catalog's half of "nothing is recorded before its file is durable": a record whose file sync is still running
/// is invisible until the sync succeeds, and a failed sync records nothing (the store pipeline passes its sync task).
/// </summary>
public sealed class CatalogCommitOrderTests
{
    private string _folder = "";

    [SetUp]
    public void SetUp() => _folder = Path.Combine(Path.GetTempPath(), "tciapacs-commit-" + Guid.NewGuid().ToString("N")[..12]);

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, true);
    }

    private static CatalogEntry Entry(int study)
    {
        var header = GeneratedData.Instance(study, 0, 0, 0, 0);
        return EntryFactory.Create(header, StoreRequest.DefaultCollection, TransferSyntax.ExplicitVRLittleEndian, $"x/{study}.dcm", new string('a', 64), 100, DateTimeOffset.UtcNow, replace: false);
    }

    [Test]
    public async Task A_record_commits_only_once_its_file_is_durable()
    {
        using var catalog = SqliteCatalog.OpenDataDirectory(_folder);
        var entry = Entry(41);
        var sync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commit = catalog.CommitAsync(entry, sync.Task);
        await Task.Delay(300);
        Assert.That(commit.IsCompleted, Is.False, "the commit waits for the file's sync");
        Assert.That(catalog.FindInstance(entry.SopInstanceUid), Is.Null, "not visible before the sync");
        sync.SetResult();
        Assert.That((await commit).Outcome, Is.EqualTo(CommitOutcome.Inserted));
        Assert.That(catalog.FindInstance(entry.SopInstanceUid), Is.Not.Null);
    }

    [Test]
    public async Task A_failed_sync_records_nothing_and_the_next_store_goes_on()
    {
        using var catalog = SqliteCatalog.OpenDataDirectory(_folder);
        var failed = Entry(42);
        var ex = Assert.ThrowsAsync<IOException>(() => catalog.CommitAsync(failed, Task.FromException(new IOException("syncfs failed"))));
        Assert.That(ex!.Message, Does.Contain("syncfs failed"));
        Assert.That(catalog.FindInstance(failed.SopInstanceUid), Is.Null);
        Assert.That(catalog.CountInstances(), Is.Zero);
        var next = Entry(43);
        Assert.That((await catalog.CommitAsync(next, Task.CompletedTask)).Outcome, Is.EqualTo(CommitOutcome.Inserted));
        Assert.That(catalog.CountInstances(), Is.EqualTo(1));
    }
}
