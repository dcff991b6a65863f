using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using TciaPacs.Deidentification;

namespace TciaPacs.Archive.Deidentification;

/// <summary>
/// The original → pseudonym map in its own SQLite file (DATA/private/pseudonyms.db, mode 0600 in a 0700 folder), apart
/// from the catalog that DICOMweb and DIMSE read: patient IDs with their pseudonyms and date offsets, and UID
/// replacements. Nothing serves it; it is for authorised re-identification only.
/// </summary>
public sealed class SqlitePseudonymMap : IPseudonymMap, IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<(string, string), PatientPseudonym> _patients = new();
    private readonly ConcurrentDictionary<(string, string), byte> _uids = new();

    public SqlitePseudonymMap(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        PrivateFiles.CreateFolder(dir);
        var fresh = !File.Exists(path);
        if (fresh) PrivateFiles.CreateFile(path);
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _db.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
        Execute("""
            CREATE TABLE IF NOT EXISTS patients (collection TEXT NOT NULL, original_id TEXT NOT NULL, number INTEGER NOT NULL,
              patient_id TEXT NOT NULL, patient_name TEXT NOT NULL, date_offset_days INTEGER NOT NULL, created TEXT NOT NULL,
              PRIMARY KEY (collection, original_id));
            CREATE TABLE IF NOT EXISTS uids (collection TEXT NOT NULL, original TEXT NOT NULL, replacement TEXT NOT NULL,
              PRIMARY KEY (collection, original));
            """);
        // The WAL and shared-memory files hold the same data: same mode.
        foreach (var f in new[] { path + "-wal", path + "-shm" })
            if (File.Exists(f) && !OperatingSystem.IsWindows()) File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static SqlitePseudonymMap OpenDataDirectory(string dataDirectory) => new(Path.Combine(dataDirectory, "private", "pseudonyms.db"));

    public PatientPseudonym GetOrAddPatient(string collection, string originalPatientId, Func<long, PatientPseudonym> create)
    {
        if (_patients.TryGetValue((collection, originalPatientId), out var p)) return p;
        lock (_lock)
        {
            using (var find = _db.CreateCommand())
            {
                find.CommandText = "SELECT patient_id, patient_name, date_offset_days FROM patients WHERE collection = $c AND original_id = $o";
                find.Parameters.AddWithValue("$c", collection);
                find.Parameters.AddWithValue("$o", originalPatientId);
                using var r = find.ExecuteReader();
                if (r.Read()) return _patients[(collection, originalPatientId)] = new PatientPseudonym(r.GetString(0), r.GetString(1), r.GetInt32(2));
            }
            long next;
            using (var count = _db.CreateCommand())
            {
                count.CommandText = "SELECT COALESCE(MAX(number), 0) + 1 FROM patients WHERE collection = $c";
                count.Parameters.AddWithValue("$c", collection);
                next = (long)count.ExecuteScalar()!;
            }
            p = create(next);
            using var insert = _db.CreateCommand();
            insert.CommandText = "INSERT INTO patients VALUES ($c, $o, $n, $id, $name, $d, $t)";
            insert.Parameters.AddWithValue("$c", collection);
            insert.Parameters.AddWithValue("$o", originalPatientId);
            insert.Parameters.AddWithValue("$n", next);
            insert.Parameters.AddWithValue("$id", p.PatientId);
            insert.Parameters.AddWithValue("$name", p.PatientName);
            insert.Parameters.AddWithValue("$d", p.DateOffsetDays);
            insert.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O"));
            insert.ExecuteNonQuery();
            return _patients[(collection, originalPatientId)] = p;
        }
    }

    public void RecordUid(string collection, string original, string replacement)
    {
        if (!_uids.TryAdd((collection, original), 0)) return;
        lock (_lock)
        {
            using var insert = _db.CreateCommand();
            insert.CommandText = "INSERT OR IGNORE INTO uids VALUES ($c, $o, $r)";
            insert.Parameters.AddWithValue("$c", collection);
            insert.Parameters.AddWithValue("$o", original);
            insert.Parameters.AddWithValue("$r", replacement);
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>The replacement a UID received in <paramref name="collection"/> (storage commitment of the UIDs a site sent).</summary>
    public string? FindReplacementUid(string collection, string original) =>
        Lookup("SELECT replacement FROM uids WHERE collection = $c AND original = $u", collection, original);

    /// <summary>The original UID behind a replacement (re-identification by authorised staff).</summary>
    public string? FindOriginalUid(string collection, string replacement) =>
        Lookup("SELECT original FROM uids WHERE collection = $c AND replacement = $u", collection, replacement);

    private string? Lookup(string sql, string collection, string uid)
    {
        lock (_lock)
        {
            using var find = _db.CreateCommand();
            find.CommandText = sql;
            find.Parameters.AddWithValue("$c", collection);
            find.Parameters.AddWithValue("$u", uid);
            return find.ExecuteScalar() as string;
        }
    }

    private void Execute(string sql)
    {
        using var c = _db.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    public void Dispose() => _db.Dispose();
}
