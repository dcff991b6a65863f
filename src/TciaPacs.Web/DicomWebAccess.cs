using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace TciaPacs.Web;

/// <summary>Someone who signed in (HTTP Basic): what they may do, and the collections they see (null: all).</summary>
public sealed record DicomWebUser(string Username, bool Store, bool Query, bool Retrieve, IReadOnlySet<string>? Collections)
{
    /// <summary>A curator: sees the intake collections (of its own), and moves studies between collections.</summary>
    public bool Curate { get; init; }
}

/// <summary>
/// Who may do what over DICOMweb. Open by default (every caller queries, retrieves and stores everything, as before).
/// With users, a caller signs in with HTTP Basic (RFC 7617; over TLS from a reverse proxy) and sees the collections the
/// user may; a caller who does not sign in sees <see cref="PublicCollections"/>: a public archive's public and
/// limited-access collections.
/// </summary>
public sealed record DicomWebAccess
{
    /// <summary>Checks a username and password; null when either is wrong. Null: nobody signs in (the service is open).</summary>
    public Func<string, string, DicomWebUser?>? Authenticate { get; init; }

    /// <summary>The collections a caller who does not sign in may query and retrieve; null: every one.</summary>
    public IReadOnlySet<string>? PublicCollections { get; init; }

    /// <summary>
    /// Checks an admin bearer token (Http.AdminToken): its caller is <c>admin</c>, who sees everything and curates, on an
    /// open server too. Null: no admin token.
    /// </summary>
    public Func<string, bool>? IsAdminToken { get; init; }

    /// <summary>The bearer tokens of the NBIA API's OAuth endpoint (<c>/nbia-api/oauth/token</c>), standing for users or guests.</summary>
    public Nbia.BearerTokens Tokens { get; init; } = new();

    /// <summary>Whether a caller who does not sign in may store (STOW-RS), into the collections it sees.</summary>
    public bool AnonymousStore { get; init; } = true;

    /// <summary>
    /// Collections only curators see (where contributed data waits for review): left out of what anyone else sees,
    /// whatever <see cref="PublicCollections"/> and a user's collections say. Storing into them is not restricted by this.
    /// </summary>
    public IReadOnlySet<string> IntakeCollections { get; init; } = new HashSet<string>();

    /// <summary>Every collection the archive holds, for "every collection but the intake ones".</summary>
    public Func<IReadOnlyCollection<string>> KnownCollections { get; init; } = () => [];

    /// <summary>Whether anything is restricted: otherwise every request is answered as for anyone.</summary>
    public bool IsRestricted => Authenticate != null || PublicCollections != null || !AnonymousStore || IntakeCollections.Count > 0;

    /// <summary>What someone who is not a curator sees of <paramref name="collections"/> (null: all): the intake collections left out.</summary>
    internal IReadOnlySet<string>? WithoutIntake(IReadOnlySet<string>? collections)
    {
        if (IntakeCollections.Count == 0) return collections;
        var seen = new HashSet<string>(collections ?? KnownCollections(), StringComparer.Ordinal);
        seen.ExceptWith(IntakeCollections);
        return seen;
    }
}

/// <summary>What a request may do (<see cref="DicomWebService"/> checks each route's before its handler runs).</summary>
internal enum DicomWebOperation { None, Query, Retrieve, Store, Curate }

/// <summary>
/// The caller of one request: a signed-in user, or anyone; the collections it sees (null: all) and those it may store
/// into (null: all; the same but for the intake collections, which only curators see).
/// </summary>
internal sealed record DicomWebCaller(DicomWebUser? User, IReadOnlySet<string>? Visible, bool MayStore, bool MayQuery, bool MayRetrieve)
{
    public IReadOnlySet<string>? Storable { get; init; } = Visible;

    private const string Key = "tciapacs.caller";
    public const string Challenge = "Basic realm=\"TciaPacs DICOMweb\", charset=\"UTF-8\"";

    public static DicomWebCaller Anyone { get; } = new(null, null, true, true, true);

    public string Name => User?.Username ?? "anonymous";

    /// <summary>The caller a handler answers (set by <see cref="Authenticate"/>; anyone when the service is open).</summary>
    public static DicomWebCaller Of(HttpContext context) => context.Items.TryGetValue(Key, out var c) && c is DicomWebCaller caller ? caller : Anyone;

    /// <summary>
    /// Who sent the request, kept for its handler: the user of its Basic credentials or of its bearer token (the NBIA
    /// API's, or the admin token: <c>admin</c>; wrong ones: 401, whatever the resource), or anyone, with what
    /// <paramref name="access"/> grants those who do not sign in.
    /// </summary>
    public static DicomWebCaller Authenticate(HttpContext context, DicomWebAccess access)
    {
        var caller = Identify(context, access);
        context.Items[Key] = caller;
        return caller;
    }

    private static DicomWebCaller Admin { get; } = new(new DicomWebUser("admin", true, true, true, null) { Curate = true }, null, true, true, true);

    private static DicomWebCaller Identify(HttpContext context, DicomWebAccess access)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header[7..].Trim();
            if (access.IsAdminToken is { } isAdmin && isAdmin(token)) return Admin;
            if (access.Tokens.Find(token) is { } grant) return grant.User is { } signedIn ? SignedIn(signedIn, access) : Anonymous(access);
            // An open server answers a stale token as it answers anyone.
            if (!access.IsRestricted) return Anyone;
            throw new DicomWebException(StatusCodes.Status401Unauthorized, "the bearer token is unknown or has expired: get a new one at /nbia-api/oauth/token");
        }
        if (!access.IsRestricted) return Anyone;
        if (header.Length == 0) return Anonymous(access);
        if (access.Authenticate == null)
            throw new DicomWebException(StatusCodes.Status401Unauthorized, "this server has no DICOMweb users: send the request without credentials");
        if (!AuthenticationHeaderValue.TryParse(header, out var value) || !string.Equals(value.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || value.Parameter is null)
            throw new DicomWebException(StatusCodes.Status401Unauthorized, "only HTTP Basic credentials are accepted (Authorization: Basic base64(user:password))");
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(Convert.FromBase64String(value.Parameter));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            throw new DicomWebException(StatusCodes.Status401Unauthorized, "the Basic credentials are not base 64 of UTF-8 user:password");
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) throw new DicomWebException(StatusCodes.Status401Unauthorized, "the Basic credentials hold no user:password");
        var name = decoded[..colon];
        var user = access.Authenticate(name, decoded[(colon + 1)..])
            ?? throw new DicomWebException(StatusCodes.Status401Unauthorized, $"unknown user or wrong password for '{name}'");
        return SignedIn(user, access);
    }

    /// <summary>A caller who does not sign in: the public collections (but intake), storing when anonymous stores are allowed.</summary>
    private static DicomWebCaller Anonymous(DicomWebAccess access) =>
        access.IsRestricted ? new(null, access.WithoutIntake(access.PublicCollections), access.AnonymousStore, true, true) { Storable = access.PublicCollections } : Anyone;

    /// <summary>A user: their collections (none listed: all; intake for curators only), and what they may do.</summary>
    private static DicomWebCaller SignedIn(DicomWebUser user, DicomWebAccess access)
    {
        var theirs = user.Collections is { Count: > 0 } c ? c : null;
        return new(user, user.Curate ? theirs : access.WithoutIntake(theirs), user.Store, user.Query, user.Retrieve) { Storable = theirs };
    }

    public bool Sees(string collection) => Visible == null || Visible.Contains(collection);

    /// <summary>
    /// Refuses what the caller may not do: 401 (with a challenge) to a caller who did not sign in, 403 to a user.
    /// <paramref name="collection"/>: the one the request names (its route, or where STOW-RS stores).
    /// </summary>
    public void Require(DicomWebOperation operation, string? collection)
    {
        var allowed = operation switch
        {
            DicomWebOperation.Store => MayStore,
            DicomWebOperation.Query => MayQuery,
            DicomWebOperation.Retrieve => MayRetrieve,
            DicomWebOperation.Curate => User?.Curate == true,
            _ => true,
        };
        // Storing reaches the intake collections, which a site may send to and not see.
        var scope = operation == DicomWebOperation.Store ? Storable : Visible;
        string? why = null;
        if (!allowed && operation == DicomWebOperation.Curate && User == null) why = "curating is for a signed-in user with Curate (Http.Users)";
        else if (!allowed) why = $"{Name} may not {operation.ToString().ToLowerInvariant()}";
        // Nothing is public: a caller who does not sign in is asked to, rather than shown an empty archive. (Storable is
        // the public collections as configured: an archive whose only data waits in intake is empty to them, not closed.)
        else if (User == null && operation != DicomWebOperation.None && Storable is { Count: 0 }) why = "no collection is public";
        else if (operation != DicomWebOperation.None && collection != null && scope != null && !scope.Contains(collection))
            why = operation == DicomWebOperation.Store ? $"{Name} may not store into collection {collection}" : $"{Name} may not see collection {collection}";
        if (why == null) return;
        throw User == null
            ? new DicomWebException(StatusCodes.Status401Unauthorized, why + ": sign in (HTTP Basic) as a user who may")
            : new DicomWebException(StatusCodes.Status403Forbidden, why);
    }
}
