using Microsoft.Data.Sqlite;

namespace TciaPacs.Archive.Sqlite;

/// <summary>Small helpers to run parameterized SQL ("$name" parameters, given in order as name/value pairs).</summary>
internal static class Sql
{
    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd;
    }

    public static int Execute(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] p)
    {
        using var cmd = Command(c, tx, sql, p);
        return cmd.ExecuteNonQuery();
    }

    public static object? Scalar(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] p)
    {
        using var cmd = Command(c, tx, sql, p);
        var v = cmd.ExecuteScalar();
        return v is DBNull ? null : v;
    }

    public static List<string> Strings(SqliteConnection c, SqliteTransaction? tx, string sql, params (string, object?)[] p)
    {
        using var cmd = Command(c, tx, sql, p);
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) if (!r.IsDBNull(0)) list.Add(r.GetString(0));
        return list;
    }
}
