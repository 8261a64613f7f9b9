using System.Net;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionApi.Tests.Support;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.Sessions;

/// <summary>Server-side GoTrue refresh inside resolve (issue 8), against a GoTrue stub on a real socket.</summary>
public sealed class GoTrueRefreshTests(ITestOutputHelper output) : IAsyncLifetime
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

    private SessionTestHost Host(ManualTime time) => new(_redis, time, new()
    {
        ["Supabase:Url"] = _supabase.Url,
        ["Sessions:IdleTimeout"] = "1.00:00:00", // GoTrue's hour passes without the session idling out
    });

    [Fact]
    public async Task ANearlyExpiredGoTrueSessionIsRefreshedWithTheSealedTokenAndTheRotatedTokenIsUsedNextTime()
    {
        var time = new ManualTime();
        using var host = Host(time);
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var goTrueSessionId = Guid.NewGuid().ToString();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "ann@example.com", "firstrefresh", sessionId: goTrueSessionId));
        var issued = 0;
        _supabase.OnRefresh = token =>
        {
            var n = Interlocked.Increment(ref issued);
            return Task.FromResult(Results.Json(SessionTestHost.GoTrueSession(userId, "ann@example.com", $"rotated{n:D5}",
                sessionId: goTrueSessionId, issuedAt: time.GetUtcNow(), userMetadata: new JsonObject { ["display_name"] = $"Ann v{n}" })));
        };

        time.Advance(TimeSpan.FromMinutes(30));
        await http.ResolveLiveAsync(created.Cookie);
        Assert.Empty(_supabase.To("/auth/v1/token")); // half an hour left: nothing to do

        time.Advance(TimeSpan.FromMinutes(29.5)); // 30 s before GoTrue's token expires
        var resolved = await http.ResolveLiveAsync(created.Cookie, new ClientInfo("198.51.100.4", "test-agent"));
        var first = Assert.Single(_supabase.To("/auth/v1/token"));
        Assert.Equal("/auth/v1/token?grant_type=refresh_token", first.PathAndQuery);
        Assert.Equal("firstrefresh", first.Body?["refresh_token"]?.GetValue<string>());
        Assert.Equal("198.51.100.4", first.Header("Sb-Forwarded-For"));
        Assert.Equal(LocalSupabaseKeys.AnonKey, first.Header("apikey"));
        Assert.Equal("Ann v1", DisplayName(resolved));
        Assert.Equal(goTrueSessionId, new JsonWebToken(resolved.Token.AccessToken).GetPayloadValue<string>("session_id"));

        time.Advance(TimeSpan.FromMinutes(20));
        await http.ResolveLiveAsync(created.Cookie);
        Assert.Single(_supabase.To("/auth/v1/token")); // the refreshed GoTrue session is good for another 40 min
        time.Advance(TimeSpan.FromMinutes(40));
        await http.ResolveLiveAsync(created.Cookie);
        var requests = _supabase.To("/auth/v1/token");
        Assert.Equal(2, requests.Count);
        Assert.Equal("rotated00001", requests[1].Body?["refresh_token"]?.GetValue<string>()); // the rotated token was stored
    }

    [Fact]
    public async Task ConcurrentResolvesSpendTheRefreshTokenOnceAndAllSeeTheResult()
    {
        var time = new ManualTime();
        using var host = Host(time);
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "bob@example.com", "onlyonce1234"));
        _supabase.OnRefresh = async token =>
        {
            await Task.Delay(300); // GoTrue takes a while: the other resolves arrive meanwhile
            return Results.Json(SessionTestHost.GoTrueSession(userId, "bob@example.com", "next12345678", issuedAt: time.GetUtcNow(),
                userMetadata: new JsonObject { ["display_name"] = "refreshed" }));
        };
        time.Advance(TimeSpan.FromMinutes(59.5));

        var resolves = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => http.ResolveLiveAsync(created.Cookie)));
        output.WriteLine($"{resolves.Length} concurrent resolves → {_supabase.To("/auth/v1/token").Count} refresh call(s)");
        Assert.Single(_supabase.To("/auth/v1/token"));
        Assert.All(resolves, r => Assert.Equal("refreshed", DisplayName(r)));
    }

    [Fact]
    public async Task ARefusedRefreshEndsTheSessionAndTellsTheProxies()
    {
        var time = new ManualTime();
        using var host = Host(time);
        var http = host.Caller();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "gone@example.com"));
        _supabase.OnRefresh = _ => Task.FromResult(Results.Json(
            new { code = "refresh_token_already_used", message = "Invalid Refresh Token: Already Used" }, statusCode: 400));
        using var events = await EventStreamReader.OpenAsync(host.Caller());

        time.Advance(TimeSpan.FromMinutes(59.5));
        Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(created.Cookie)).StatusCode);
        var revoked = await events.NextAsync();
        Assert.Equal("revoked", revoked?.Kind);
        Assert.Equal([created.Session.Id], revoked!.SessionIds);
        Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(created.Cookie)).StatusCode);
        Assert.Single(_supabase.To("/auth/v1/token"));
        var row = (await _supabase.WaitForAsync("/rest/v1/sessions", 1, r => r.Body?["revoked_at"] is not null)).Single();
        Assert.Equal(created.Session.Id, row.Body?["id"]?.GetValue<string>());
    }

    [Fact]
    public async Task AnUnreachableGoTrueKeepsTheSessionAndBacksOffInsteadOfRetryingOnEveryRequest()
    {
        var time = new ManualTime();
        using var host = Host(time);
        var http = host.Caller();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "patient@example.com"));
        _supabase.OnRefresh = _ => Task.FromResult(Results.StatusCode(503));

        time.Advance(TimeSpan.FromMinutes(59.5));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            await http.ResolveLiveAsync(created.Cookie);
        }
        output.WriteLine($"5 resolves during a GoTrue outage took {watch.ElapsedMilliseconds} ms");
        Assert.Single(_supabase.To("/auth/v1/token"));
        Assert.True(watch.ElapsedMilliseconds < 2000, $"{watch.ElapsedMilliseconds} ms: resolves must not wait for a refresh that backs off");
    }

    [Fact]
    public async Task ShortLivedGoTrueTokensAreRefreshedInTheSecondHalfOfTheirLifeNotOnEveryRequest()
    {
        var time = new ManualTime();
        using var host = Host(time);
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "short@example.com", lifetimeSeconds: 60));
        _supabase.OnRefresh = _ => Task.FromResult(Results.Json(
            SessionTestHost.GoTrueSession(userId, "short@example.com", "shortrotated", issuedAt: time.GetUtcNow(), lifetimeSeconds: 60)));

        await http.ResolveLiveAsync(created.Cookie);
        time.Advance(TimeSpan.FromSeconds(20));
        await http.ResolveLiveAsync(created.Cookie);
        Assert.Empty(_supabase.To("/auth/v1/token")); // 40 of 60 s left
        time.Advance(TimeSpan.FromSeconds(15));
        await http.ResolveLiveAsync(created.Cookie);
        await http.ResolveLiveAsync(created.Cookie);
        Assert.Single(_supabase.To("/auth/v1/token")); // 25 s left: refreshed once, then fresh again
    }

    /// <summary>user_metadata.display_name of the minted Supabase token: what RLS policies would see.</summary>
    private static string? DisplayName(ResolvedSession resolved) =>
        JsonNode.Parse(Base64UrlEncoder.Decode(new JsonWebToken(resolved.Token.AccessToken).EncodedPayload))?["user_metadata"]?["display_name"]?.GetValue<string>();
}
