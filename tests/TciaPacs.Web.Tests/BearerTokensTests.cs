using NUnit.Framework;
using TciaPacs.Web.Nbia;

namespace TciaPacs.Web.Tests;

/// <summary>The NBIA API's bearer tokens over time: two hours for an access token, a day (and one use) for a refresh token.</summary>
public sealed class BearerTokensTests
{
    [Test]
    public void Tokens_expire_refresh_once_and_are_revoked_with_their_refresh_token()
    {
        var now = new DateTime(2026, 12, 8, 9, 0, 0, DateTimeKind.Utc);
        var tokens = new BearerTokens(() => now);
        var user = new DicomWebUser("investigator", false, true, true, null);
        var (access, refresh) = tokens.Issue(user)!.Value;
        Assert.That(tokens.Find(access)?.User, Is.SameAs(user));
        Assert.That(tokens.Find(access + "x"), Is.Null);
        Assert.That(tokens.Find(refresh), Is.Null, "a refresh token is not an access token");

        now += BearerTokens.AccessLifetime - TimeSpan.FromSeconds(1);
        Assert.That(tokens.Find(access), Is.Not.Null, "still live just before two hours");
        now += TimeSpan.FromSeconds(2);
        Assert.That(tokens.Find(access), Is.Null, "expired after two hours");

        var renewed = tokens.Refresh(refresh);
        Assert.That(renewed?.User, Is.SameAs(user));
        Assert.That(tokens.Find(renewed!.Value.Access)?.User, Is.SameAs(user));
        Assert.That(tokens.Refresh(refresh), Is.Null, "a refresh token is used once");

        Assert.That(tokens.Revoke(renewed.Value.Access), Is.True);
        Assert.That(tokens.Find(renewed.Value.Access), Is.Null);
        Assert.That(tokens.Refresh(renewed.Value.Refresh), Is.Null, "logging out ends the refresh token too");

        var (guest, guestRefresh) = tokens.Issue(null)!.Value;
        Assert.That(tokens.Find(guest), Is.Not.Null.And.Property("User").Null, "a guest token stands for anyone");
        now += BearerTokens.RefreshLifetime + TimeSpan.FromSeconds(1);
        Assert.That(tokens.Refresh(guestRefresh), Is.Null, "refresh tokens expire after a day");
    }
}
