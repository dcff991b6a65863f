using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace TciaPacs.Archive.Sqlite;

/// <summary>Small helpers to run parameterized SQL ("$name" parameters, given in order as name/value pairs).</summary>
internal static class Sql
{
    // Prepared statements kept per connection (the single writer's): a commit runs about ten statements, and SQLite's
    // parser and planner were a visible part of the store path's CPU when each was prepared anew.
    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, SqliteCommand>> Caches = new();

    /// <summary>Keeps the prepared statements of <paramref name="connection"/> (used by one thread at a time) until it is disposed.</summary>
    public static void CacheStatements(SqliteConnection connection) => Caches.AddOrUpdate(connection, new Dictionary<string, SqliteCommand>(StringComparer.Ordinal));

    /// <summary>Disposes the cached statements of <paramref name="connection"/> (before the connection itself).</summary>
    public static void ReleaseStatements(SqliteConnection connection)
    {
        if (!Caches.TryGetValue(connection, out var cache)) return;
        foreach (var cmd in cache.Values) cmd.Dispose();
        Caches.Remove(connection);
    }

    /// <summary>A new command; the caller disposes it.</summary>
    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    // Queries are built from their filters, so a connection that serves them could see many texts; past this many the
    // new ones are prepared per use (never evicted: a cached command may be in use by an open reader up the stack).
    private const int MaxCachedStatements = 64;

    /// <summary>A command from the connection's cache when it has one, else a new one; give it back with <see cref="Return"/>.</summary>
    public static SqliteCommand Rent(SqliteConnection connection, SqliteTransaction? tx, string sql, (string Name, object? Value)[] parameters)
    {
        if (!Caches.TryGetValue(connection, out var cache)) return Command(connection, tx, sql, parameters);
        if (!cache.TryGetValue(sql, out var cmd))
        {
            if (cache.Count >= MaxCachedStatements) return Command(connection, tx, sql, parameters);
            cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            cache[sql] = cmd;
        }
        cmd.Transaction = tx;
        cmd.Parameters.Clear();
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    /// <summary>Gives back a command from <see cref="Rent"/>: kept when cached, else disposed.</summary>
    public static void Return(SqliteConnection connection, SqliteCommand cmd)
    {
        if (Caches.TryGetValue(connection, out var cache) && cache.TryGetValue(cmd.CommandText, out var cached) && ReferenceEquals(cached, cmd)) return;
        cmd.Dispose();
    }

    public static int Execute(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] p)
    {
        var cmd = Rent(c, tx, sql, p);
        try { return cmd.ExecuteNonQuery(); }
        finally { Return(c, cmd); }
    }

    public static object? Scalar(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] p)
    {
        var cmd = Rent(c, tx, sql, p);
        try
        {
            var v = cmd.ExecuteScalar();
            return v is DBNull ? null : v;
        }
        finally { Return(c, cmd); }
    }

    public static List<string> Strings(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] p)
    {
        var cmd = Rent(c, tx, sql, p);
        try
        {
            using var r = cmd.ExecuteReader();
            var list = new List<string>();
            while (r.Read()) if (!r.IsDBNull(0)) list.Add(r.GetString(0));
            return list;
        }
        finally { Return(c, cmd); }
    }

    /// <summary>Reads the first row (if any) through <paramref name="read"/>; false when there is none.</summary>
    public static bool Row(SqliteConnection c, SqliteTransaction? tx, string sql, Action<SqliteDataReader> read, params (string, object?)[] p)
    {
        var cmd = Rent(c, tx, sql, p);
        try
        {
            using var r = cmd.ExecuteReader();
            if (!r.Read()) return false;
            read(r);
            return true;
        }
        finally { Return(c, cmd); }
    }
}
