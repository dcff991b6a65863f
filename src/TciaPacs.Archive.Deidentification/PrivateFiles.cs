using System.Security.Cryptography;

namespace TciaPacs.Archive.Deidentification;

/// <summary>DATA/private: files only the archive's own user may read (folder 0700, files 0600).</summary>
public static class PrivateFiles
{
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows()) { Directory.CreateDirectory(path); return; }
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Creates an empty file with mode 0600 from the start (no window in which it is readable by others).</summary>
    public static void CreateFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var _ = new FileStream(path, options);
    }

    /// <summary>
    /// The collection's secret from DATA/private/secrets/COLLECTION.key, made (32 random bytes) on first use. Losing it
    /// means new pseudonyms for UIDs and hashed IDs: back it up with the pseudonym map.
    /// </summary>
    public static byte[] CollectionSecret(string dataDirectory, string collection)
    {
        var dir = Path.Combine(dataDirectory, "private", "secrets");
        CreateFolder(Path.Combine(dataDirectory, "private"));
        CreateFolder(dir);
        var safe = string.Concat(collection.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        var path = Path.Combine(dir, safe + ".key");
        lock (typeof(PrivateFiles))
        {
            if (File.Exists(path)) return Convert.FromHexString(File.ReadAllText(path).Trim());
            var secret = RandomNumberGenerator.GetBytes(32);
            var temp = path + ".tmp";
            if (File.Exists(temp)) File.Delete(temp);
            CreateFile(temp);
            File.WriteAllText(temp, Convert.ToHexString(secret));
            File.Move(temp, path);
            return secret;
        }
    }
}
