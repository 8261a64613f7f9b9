using System.Net;
using Gateway.Contracts;
using SessionApi.Sessions;
using SessionApi.Tests.Support;
using StackExchange.Redis;
using TestSupport;

namespace SessionApi.Tests.Sessions;

/// <summary>
/// Sessions stored by a SessionApi from before the hash-tagged key layout (an upgrade in place on one node) keep
/// working: the first read moves them, and revoke-all finds them even if they were never used after the upgrade.
/// </summary>
public sealed class LegacyLayoutTests(SharedRedis shared) : IClassFixture<SharedRedis>
{
    [Fact]
    public async Task ASessionFromBeforeTheUpgradeResolvesAndMovesToTheCurrentLayout()
    {
        using var host = new SessionTestHost(shared.Server, new ManualTime());
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "legacy@example.com"));
        await using var admin = await RedisConnections.AdminAsync(shared.Server.ConnectionString);
        var key = await DowngradeAsync(admin, created);

        var resolved = await http.ResolveLiveAsync(created.Cookie);
        Assert.Equal(created.Session.Id, resolved.Session.Id);
        var db = admin.GetDatabase();
        Assert.False(await db.KeyExistsAsync("gw:s:" + key), "the old record should be gone");
        Assert.False(await db.KeyExistsAsync("gw:p:" + created.Session.Id));
        Assert.True(await db.KeyExistsAsync(RedisSessionStore.SessionKey(key)));
        Assert.True(await db.SetContainsAsync(RedisSessionStore.UserKey(userId), key));
        Assert.True(await db.KeyTimeToLiveAsync(RedisSessionStore.SessionKey(key)) is { TotalMinutes: > 1 }, "the move must keep the expiry");
    }

    [Fact]
    public async Task SignOutEverywhereEndsASessionFromBeforeTheUpgradeThatWasNeverUsedSince()
    {
        using var host = new SessionTestHost(shared.Server, new ManualTime());
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var old = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "legacy-all@example.com"));
        var other = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "legacy-all@example.com"));
        await using var admin = await RedisConnections.AdminAsync(shared.Server.ConnectionString);
        await DowngradeAsync(admin, old);

        using (var all = await http.RevokeAsync(other.Cookie, "all"))
        {
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(old.Cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(other.Cookie)).StatusCode);
    }

    [Fact]
    public async Task ASessionFromBeforeTheUpgradeCanBeRevokedByItsPublicId()
    {
        using var host = new SessionTestHost(shared.Server, new ManualTime());
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var old = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "legacy-one@example.com"));
        var current = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "legacy-one@example.com"));
        await using var admin = await RedisConnections.AdminAsync(shared.Server.ConnectionString);
        await DowngradeAsync(admin, old);

        using (var one = await http.RevokeAsync(current.Cookie, "one", old.Session.Id))
        {
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(old.Cookie)).StatusCode);
        await http.ResolveLiveAsync(current.Cookie);
    }

    /// <summary>Renames the session's keys to the layout the SessionApi used before hash tags; returns its key.</summary>
    private static async Task<string> DowngradeAsync(ConnectionMultiplexer admin, CreateSessionResponse session)
    {
        Assert.True(SessionCookie.TryParse(session.Cookie, out var cookie));
        var db = admin.GetDatabase();
        var userId = session.Session.UserId;
        await db.KeyRenameAsync(RedisSessionStore.SessionKey(cookie.Key), "gw:s:" + cookie.Key);
        await db.KeyRenameAsync(RedisSessionStore.PublicKey(userId, session.Session.Id), "gw:p:" + session.Session.Id);
        await db.SetMoveAsync(RedisSessionStore.UserKey(userId), "gw:u:" + userId, cookie.Key);
        await db.KeyExpireAsync("gw:u:" + userId, TimeSpan.FromMinutes(30));
        return cookie.Key;
    }
}
