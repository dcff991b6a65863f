using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TciaPacs.Server.Dimse;

/// <summary>
/// Passcode hashes for <c>Dimse.Users</c>: PBKDF2 with HMAC-SHA256, a random 16-byte salt and the iteration count in the
/// text, <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (salt and hash in base 64), so that the configuration never holds a
/// passcode and a stronger count can come later without breaking old hashes.
/// </summary>
internal static class PasswordHash
{
    private const string Scheme = "pbkdf2-sha256";

    /// <summary>OWASP's figure for PBKDF2-HMAC-SHA256 is higher; this keeps an association's check near 50 ms on 2 cores.</summary>
    public const int DefaultIterations = 100_000;

    public static string Create(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>Null when <paramref name="text"/> is a hash this class can check; else what is wrong with it.</summary>
    public static string? Problem(string text) => Parse(text) == null
        ? $"not a passcode hash (expected {Scheme}$ITERATIONS$SALT$HASH, as tciapacs hash-password prints)"
        : null;

    /// <summary>Whether <paramref name="password"/> is the one <paramref name="text"/> was made from (constant time).</summary>
    public static bool Verify(ReadOnlySpan<byte> password, string text)
    {
        if (Parse(text) is not { } h) return false;
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, h.Salt, h.Iterations, HashAlgorithmName.SHA256, h.Hash.Length);
        return CryptographicOperations.FixedTimeEquals(hash, h.Hash);
    }

    private static (int Iterations, byte[] Salt, byte[] Hash)? Parse(string text)
    {
        var parts = text.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations is < 1_000 or > 10_000_000)
            return null;
        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var hash = Convert.FromBase64String(parts[3]);
            return salt.Length >= 8 && hash.Length >= 16 ? (iterations, salt, hash) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
