using System.Text.Json.Nodes;
using Gateway.Contracts;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;
using TestSupport;

namespace SessionApi.Tests.Supabase;

/// <summary>Session metadata reaches the Supabase sessions table (upserts with the service key), off the request path.</summary>
public sealed class SessionMirrorTests : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private StubSupabase _supabase = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _supabase = await StubSupabase.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _supabase.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task ANewSessionIsInsertedAndLastSeenIsWrittenAtMostOnceAMinute()
    {
        var time = new ManualTime();
        using var host = new SessionTestHost(_redis, time, new() { ["Supabase:Url"] = _supabase.Url });
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "row@example.com"), new ClientInfo("203.0.113.9", "Safari/26"));

        var inserted = (await _supabase.WaitForAsync("/rest/v1/sessions", 1)).Single().Body!.AsObject();
        Assert.Equal(created.Session.Id, inserted["id"]!.GetValue<string>());
        Assert.Equal(userId, inserted["user_id"]!.GetValue<string>());
        Assert.Equal("203.0.113.9", inserted["ip"]!.GetValue<string>());
        Assert.Equal("Safari/26", inserted["user_agent"]!.GetValue<string>());
        Assert.Equal("aal1", inserted["aal"]!.GetValue<string>());
        Assert.Null(inserted["revoked_at"]);
        Assert.Equal(created.Session.ExpiresAt, DateTimeOffset.Parse(inserted["expires_at"]!.GetValue<string>()));
        Assert.Equal(
            new[] { "aal", "created_at", "expires_at", "id", "ip", "last_seen_at", "revoked_at", "user_agent", "user_id" },
            inserted.Select(p => p.Key).Order()); // exactly the table's columns

        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            await http.ResolveLiveAsync(created.Cookie); // within the minute: no write
        }
        time.Advance(TimeSpan.FromSeconds(15));
        await http.ResolveLiveAsync(created.Cookie, new ClientInfo("203.0.113.10", "Safari/26"));
        var rows = await _supabase.WaitForAsync("/rest/v1/sessions", 2);
        await Task.Delay(200);
        Assert.Equal(2, _supabase.To("/rest/v1/sessions").Count);
        var touched = rows[1].Body!;
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), DateTimeOffset.Parse(touched["last_seen_at"]!.GetValue<string>()).ToUnixTimeSeconds());
        Assert.Equal("203.0.113.10", touched["ip"]!.GetValue<string>());
    }

    [Fact]
    public async Task AnUnreachableSupabaseNeverBreaksSessions()
    {
        using var host = new SessionTestHost(_redis, new ManualTime(), new() { ["Supabase:Url"] = $"http://127.0.0.1:{FreePort.Next()}" });
        var http = host.Caller();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "offline@example.com"));
        await http.ResolveLiveAsync(created.Cookie);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.RevokeAsync(created.Cookie, "current")).StatusCode);
    }
}
