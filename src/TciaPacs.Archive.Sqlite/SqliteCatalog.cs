using Microsoft.Data.Sqlite;
using TciaPacs.Archive.Catalog;

namespace TciaPacs.Archive.Sqlite;

/// <summary>
/// The catalog in SQLite: WAL journal (readers never block the writer, PS: sqlite.org/wal.html), synchronous=FULL so
/// a commit is durable when it returns (NORMAL for a batch of new instances whose files recovery would adopt: see
/// <see cref="ICatalog.CommitAsync"/>), one writer connection behind <see cref="GroupCommitWriter"/>, and read-only
/// connections kept open with their statements prepared for lookups and queries (a pooled one for the rest).
/// </summary>
public sealed class SqliteCatalog : ICatalog
{
    private readonly string _readConnectionString;
    private readonly GroupCommitWriter _writer;

    public SqliteCatalog(string databasePath)
    {
        DatabasePath = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        var write = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false, DefaultTimeout = 60 }.ToString();
        _readConnectionString = new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = true, DefaultTimeout = 60 }.ToString();
        var connection = new SqliteConnection(write);
        connection.Open();
        Sql.Execute(connection, null, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 60000; PRAGMA foreign_keys = ON;");
        Sql.Execute(connection, null, CatalogSchema.Ddl);
        Sql.Execute(connection, null, $"PRAGMA user_version = {CatalogSchema.Version}");
        _writer = new GroupCommitWriter(connection);
    }

    public string DatabasePath { get; }

    /// <summary>The catalog file of a data folder: <c>DATA/catalog.db</c>.</summary>
    public static SqliteCatalog OpenDataDirectory(string dataDirectory) => new(Path.Combine(dataDirectory, "catalog.db"));

    public Task<CommitResult> CommitAsync(CatalogEntry entry, Task? durableFirst = null, bool recoverableFromFile = false, CancellationToken cancellationToken = default,
        bool resumeOnWriter = false) =>
        _writer.Enqueue((c, tx) => CatalogWrites.Commit(c, tx, entry), durableFirst, flush: !(recoverableFromFile && durableFirst != null), resumeOnWriter);

    public Task<bool> RemoveInstanceAsync(string sopInstanceUid, CancellationToken cancellationToken = default) =>
        _writer.Enqueue((c, tx) => CatalogWrites.RemoveInstance(c, tx, sopInstanceUid));

    public Task ClearAsync(CancellationToken cancellationToken = default) => _writer.Enqueue((c, tx) => CatalogWrites.Clear(c, tx));

    public CatalogInstance? FindInstance(string sopInstanceUid)
    {
        var c = RentReader();
        try { return CatalogReads.FindInstance(c, sopInstanceUid); }
        finally { ReturnReader(c); }
    }

    public IEnumerable<CatalogEntity> Query(CatalogFilter filter, CancellationToken cancellationToken = default)
    {
        var c = RentReader();
        try
        {
            foreach (var e in CatalogReads.Query(c, filter, cancellationToken)) yield return e;
        }
        finally
        {
            ReturnReader(c);
        }
    }

    public IEnumerable<CatalogInstance> AllInstances()
    {
        using var c = OpenRead();
        foreach (var i in CatalogReads.AllInstances(c)) yield return i;
    }

    public IEnumerable<InstanceFile> InstanceFiles(string studyUid, string? seriesUid = null, string? sopUid = null)
    {
        using var c = OpenRead();
        foreach (var i in CatalogReads.InstanceFiles(c, studyUid, seriesUid, sopUid)) yield return i;
    }

    public string? PatientIdOfStudy(string studyUid)
    {
        using var c = OpenRead();
        return Sql.Scalar(c, null, "SELECT p.patient_id FROM study s JOIN patient p ON p.pk = s.patient_pk WHERE s.study_uid = $study", ("$study", studyUid)) as string;
    }

    public IReadOnlyList<InstanceFile> InstanceFilesPage(string? afterSopInstanceUid, int count)
    {
        using var c = OpenRead();
        return CatalogReads.InstanceFilesPage(c, afterSopInstanceUid, count);
    }

    public string? CollectionOfStudy(string studyUid)
    {
        using var c = OpenRead();
        return Sql.Scalar(c, null, "SELECT collection FROM study WHERE study_uid = $study", ("$study", studyUid)) as string;
    }

    public IReadOnlyList<string> CollectionNames()
    {
        using var c = OpenRead();
        return Sql.Strings(c, null, "SELECT DISTINCT collection FROM study ORDER BY collection").ToList();
    }

    public IReadOnlyList<CollectionSummary> CollectionSummaries()
    {
        using var c = OpenRead();
        var summaries = new List<CollectionSummary>();
        using var command = c.CreateCommand();
        command.CommandText = """
            SELECT collection, COUNT(DISTINCT patient_pk), COUNT(*), SUM(num_series), SUM(num_instances), SUM(size)
            FROM study GROUP BY collection ORDER BY collection
            """;
        using var reader = command.ExecuteReader();
        while (reader.Read())
            summaries.Add(new CollectionSummary(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
        return summaries;
    }

    public Task<bool> MoveStudyAsync(string studyUid, string collection, CancellationToken cancellationToken = default) =>
        _writer.Enqueue((c, tx) => Sql.Execute(c, tx, "UPDATE study SET collection = $c, updated = $now WHERE study_uid = $study",
            ("$c", collection), ("$now", Documents.Timestamp(DateTimeOffset.UtcNow)), ("$study", studyUid)) > 0);

    public long CountInstances()
    {
        using var c = OpenRead();
        return (long)Sql.Scalar(c, null, "SELECT COUNT(*) FROM instance")!;
    }

    private SqliteConnection OpenRead()
    {
        var c = new SqliteConnection(_readConnectionString);
        c.Open();
        return c;
    }

    // The store path's duplicate lookup and the queries run on read connections kept open with their statements
    // prepared: preparing them anew was SQLite's parser and planner on every store and every C-FIND. A connection
    // between uses holds no read transaction (each statement is reset after use), so it never holds back a WAL
    // checkpoint. A query enumerated to its end, or disposed, gives its connection back.
    private const int MaxIdleReaders = 8;
    private readonly Stack<SqliteConnection> _idleReaders = new();
    private bool _disposed;

    private SqliteConnection RentReader()
    {
        lock (_idleReaders)
        {
            if (_idleReaders.TryPop(out var idle)) return idle;
        }
        var c = OpenRead();
        Sql.CacheStatements(c);
        return c;
    }

    private void ReturnReader(SqliteConnection c)
    {
        lock (_idleReaders)
        {
            if (!_disposed && _idleReaders.Count < MaxIdleReaders)
            {
                _idleReaders.Push(c);
                return;
            }
        }
        Close(c);
    }

    private static void Close(SqliteConnection c)
    {
        Sql.ReleaseStatements(c);
        c.Dispose();
    }

    public void Dispose()
    {
        // First, so that a refused close (from the writer's own thread) leaves the catalog whole.
        _writer.ThrowIfOnWriterThread();
        List<SqliteConnection> idle;
        lock (_idleReaders)
        {
            _disposed = true;
            idle = [.. _idleReaders];
            _idleReaders.Clear();
        }
        foreach (var connection in idle) Close(connection);
        _writer.Dispose();
        using var c = new SqliteConnection(_readConnectionString);
        SqliteConnection.ClearPool(c);
    }
}
