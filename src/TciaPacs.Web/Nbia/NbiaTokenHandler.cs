using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TciaPacs.Web.Lists;

namespace TciaPacs.Web.Nbia;

/// <summary>
/// The NBIA API's OAuth 2 token endpoint (<c>POST /nbia-api/oauth/token</c>, RFC 6749 4.3 and 6), as tcia_utils'
/// getToken and TCIA's own scripts call it: a form with <c>grant_type=password</c>, <c>username</c> and
/// <c>password</c> (a DICOMweb user of <c>Http.Users</c>, or <c>nbia_guest</c> for what anyone sees), or
/// <c>grant_type=refresh_token</c> and <c>refresh_token</c>; <c>client_id</c> and a client's own credentials are not
/// checked (every NBIA client is the public client "NBIA"). The token goes in <c>Authorization: Bearer</c> on
/// <c>/nbia-api/services/v1</c>, <c>v2</c> and the rest of the HTTP service. <c>GET /nbia-api/logout</c> ends it.
/// </summary>
internal sealed class NbiaTokenHandler(DicomWebService service)
{
    public const string Guest = "nbia_guest";

    private BearerTokens Tokens => service.Options.Access.Tokens;

    public async Task TokenAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            await Error(context, "invalid_request", "the request is a form (application/x-www-form-urlencoded) with grant_type, username and password").ConfigureAwait(false);
            return;
        }
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var grantType = form["grant_type"].ToString();
        (string Access, string Refresh)? issued;
        string who;
        switch (grantType)
        {
            case "password":
            {
                who = form["username"].ToString();
                if (who.Length == 0)
                {
                    await Error(context, "invalid_request", "username is missing (nbia_guest for the public collections)").ConfigureAwait(false);
                    return;
                }
                DicomWebUser? user = null;
                if (who != Guest) user = service.Options.Access.Authenticate?.Invoke(who, form["password"].ToString());
                if (who != Guest && user == null)
                {
                    service.Log.LogWarning("NBIA token refused for {User}: {Reason}", who,
                        service.Options.Access.Authenticate == null ? "this server has no DICOMweb users" : "unknown user or wrong password");
                    await Error(context, "invalid_grant", service.Options.Access.Authenticate == null
                        ? $"this server has no DICOMweb users: sign in as {Guest}, or call without a token"
                        : "Bad credentials").ConfigureAwait(false);
                    return;
                }
                issued = Tokens.Issue(user);
                break;
            }
            case "refresh_token":
            {
                var refreshed = Tokens.Refresh(form["refresh_token"].ToString());
                if (refreshed == null)
                {
                    await Error(context, "invalid_grant", "the refresh token is unknown, used or expired: ask for a new token with grant_type=password").ConfigureAwait(false);
                    return;
                }
                issued = (refreshed.Value.Access, refreshed.Value.Refresh);
                who = refreshed.Value.User?.Username ?? Guest;
                break;
            }
            default:
                await Error(context, grantType.Length == 0 ? "invalid_request" : "unsupported_grant_type",
                    grantType.Length == 0 ? "grant_type is missing: password or refresh_token" : $"grant_type {grantType} is not served: password or refresh_token").ConfigureAwait(false);
                return;
        }
        if (issued is not { } tokens) throw new DicomWebException(StatusCodes.Status503ServiceUnavailable, "too many live tokens: try again later");
        service.Log.LogInformation("NBIA token issued to {User} ({Grant})", who, grantType);
        NoStore(context);
        await Kept.WriteJson(context, new JsonObject
        {
            ["access_token"] = tokens.Access, ["token_type"] = "bearer", ["refresh_token"] = tokens.Refresh,
            ["expires_in"] = (int)BearerTokens.AccessLifetime.TotalSeconds, ["scope"] = "read",
        }).ConfigureAwait(false);
    }

    /// <summary><c>GET /nbia-api/logout</c> with the bearer token: it (and its refresh token) stops working.</summary>
    public async Task LogoutAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) Tokens.Revoke(header[7..].Trim());
        NoStore(context);
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("You have successfully logged out.", context.RequestAborted).ConfigureAwait(false);
    }

    private static void NoStore(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
    }

    // RFC 6749 5.2: 400 with error and error_description.
    private static Task Error(HttpContext context, string error, string description)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        NoStore(context);
        return Kept.WriteJson(context, new JsonObject { ["error"] = error, ["error_description"] = description });
    }
}
