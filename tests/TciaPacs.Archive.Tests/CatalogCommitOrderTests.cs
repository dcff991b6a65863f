using TciaPacs.Archive.Catalog;
using TciaPacs.Archive.Sqlite;

namespace TciaPacs.Archive.Tests;

/// <summary>
/// The catalog's half of "nothing is recorded before its file is durable": a record whose file sync is still running
/// is invisible until the sync succeeds, and a failed sync records nothing (the store pipeline passes its sync task).
/// </summary>
public sealed class CatalogCommitOrderTests : TempFolderTest
{
    [Test]
    public async Task A_record_commits_only_once_its_file_is_durable()
    {
        using var catalog = SqliteCatalog.OpenDataDirectory(Folder);
        var entry = GeneratedData.Entry(41);
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
        using var catalog = SqliteCatalog.OpenDataDirectory(Folder);
        var failed = GeneratedData.Entry(42);
        var ex = Assert.ThrowsAsync<IOException>(() => catalog.CommitAsync(failed, Task.FromException(new IOException("syncfs failed"))));
        Assert.That(ex!.Message, Does.Contain("syncfs failed"));
        Assert.That(catalog.FindInstance(failed.SopInstanceUid), Is.Null);
        Assert.That(catalog.CountInstances(), Is.Zero);
        var next = GeneratedData.Entry(43);
        Assert.That((await catalog.CommitAsync(next, Task.CompletedTask)).Outcome, Is.EqualTo(CommitOutcome.Inserted));
        Assert.That(catalog.CountInstances(), Is.EqualTo(1));
    }
}
