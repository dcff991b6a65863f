using Microsoft.Data.Sqlite;
using TciaPacs.Archive.Sqlite;

namespace TciaPacs.Archive.Tests;

/// <summary>
/// The catalog writer commits many stores in one transaction, each in its own savepoint: a store whose work fails is
/// undone alone, and the others of its batch still commit.
/// </summary>
public sealed class GroupCommitWriterTests : TempFolderTest
{
    // Pooled connections keep the database files open; the base class then deletes the folder.
    [TearDown]
    public void ClosePooledConnections() => SqliteConnection.ClearAllPools();

    [Test]
    public async Task A_failing_item_is_undone_alone_and_the_rest_of_its_batch_commits()
    {
        var path = Path.Combine(Directory.CreateDirectory(Folder).FullName, "w.db");
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Sql.Execute(connection, null, "PRAGMA journal_mode = WAL; CREATE TABLE t(v INTEGER UNIQUE)");
        using var writer = new GroupCommitWriter(connection);

        // Hold the writer inside a first batch so that the next three items are queued together and form one batch.
        using var hold = new ManualResetEventSlim();
        using var running = new ManualResetEventSlim();
        var first = writer.Enqueue((c, tx) => { running.Set(); hold.Wait(); return Sql.Execute(c, tx, "INSERT INTO t(v) VALUES(0)"); });
        Assert.That(running.Wait(TimeSpan.FromSeconds(10)), Is.True);
        var before = writer.Enqueue((c, tx) => Sql.Execute(c, tx, "INSERT INTO t(v) VALUES(1)"));
        var failing = writer.Enqueue<int>((c, tx) =>
        {
            Sql.Execute(c, tx, "INSERT INTO t(v) VALUES(2)");
            throw new InvalidOperationException("this store failed");
        });
        var after = writer.Enqueue((c, tx) => Sql.Execute(c, tx, "INSERT INTO t(v) VALUES(3)"));
        hold.Set();

        Assert.That(await first, Is.EqualTo(1));
        Assert.That(await before, Is.EqualTo(1));
        Assert.That(async () => await failing, Throws.InvalidOperationException.With.Message.EqualTo("this store failed"));
        Assert.That(await after, Is.EqualTo(1));
        // The failed item's insert is gone; a later batch can insert the same value again.
        Assert.That(await writer.Enqueue((c, tx) => Sql.Execute(c, tx, "INSERT INTO t(v) VALUES(2)")), Is.EqualTo(1));

        using var read = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        read.Open();
        Assert.That(Sql.Strings(read, null, "SELECT CAST(v AS TEXT) FROM t ORDER BY v"), Is.EqualTo(new[] { "0", "1", "2", "3" }));
    }
}
