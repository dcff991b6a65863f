using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace TciaPacs.Web.Nbia;

/// <summary>
/// The OAuth 2 bearer tokens TCIA's NBIA API hands out (<c>/nbia-api/oauth/token</c>, the password grant tcia_utils'
/// getToken uses): an access token for two hours and a refresh token for a day, each standing for a user or for
/// <c>nbia_guest</c> (anyone: the public collections). Kept in memory only, as hashes: a restart signs everyone out,
/// and their clients ask again, as they do every two hours.
/// </summary>
public sealed class BearerTokens
{
    public static readonly TimeSpan AccessLifetime = TimeSpan.FromHours(2);
    public static readonly TimeSpan RefreshLifetime = TimeSpan.FromHours(24);
    private const int Limit = 100_000;

    /// <summary>Who a token stands for: a user, or (null) a guest who sees what anyone sees.</summary>
    public sealed record Grant(DicomWebUser? User, DateTime Expires, string? RefreshOf = null);

    private readonly ConcurrentDictionary<string, Grant> _access = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Grant> _refresh = new(StringComparer.Ordinal);
    private readonly Func<DateTime> _now;

    public BearerTokens(Func<DateTime>? now = null) => _now = now ?? (() => DateTime.UtcNow);

    /// <summary>A new access and refresh token for <paramref name="user"/> (null: a guest); null when too many are live.</summary>
    public (string Access, string Refresh)? Issue(DicomWebUser? user)
    {
        Prune();
        if (_access.Count >= Limit || _refresh.Count >= Limit) return null;
        var access = NewToken();
        var refresh = NewToken();
        _access[Hash(access)] = new Grant(user, _now() + AccessLifetime, Hash(refresh));
        _refresh[Hash(refresh)] = new Grant(user, _now() + RefreshLifetime);
        return (access, refresh);
    }

    /// <summary>Whom a live access token stands for; null when unknown or expired.</summary>
    public Grant? Find(string token) =>
        _access.TryGetValue(Hash(token), out var grant) && grant.Expires > _now() ? grant : null;

    /// <summary>New tokens for a live refresh token, which is used up; null when it is unknown or expired.</summary>
    public (string Access, string Refresh, DicomWebUser? User)? Refresh(string refreshToken)
    {
        if (!_refresh.TryRemove(Hash(refreshToken), out var grant) || grant.Expires <= _now()) return null;
        return Issue(grant.User) is { } issued ? (issued.Access, issued.Refresh, grant.User) : null;
    }

    /// <summary>Ends an access token and its refresh token (NBIA's logout); false when it was not live.</summary>
    public bool Revoke(string token)
    {
        if (!_access.TryRemove(Hash(token), out var grant)) return false;
        if (grant.RefreshOf != null) _refresh.TryRemove(grant.RefreshOf, out _);
        return grant.Expires > _now();
    }

    private void Prune()
    {
        if (_access.Count + _refresh.Count < 10_000) return;
        var now = _now();
        foreach (var (key, grant) in _access)
            if (grant.Expires <= now) _access.TryRemove(key, out _);
        foreach (var (key, grant) in _refresh)
            if (grant.Expires <= now) _refresh.TryRemove(key, out _);
    }

    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // Only hashes are kept: a memory dump shows no token that works.
    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
