using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Microsoft.IdentityModel.JsonWebTokens;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.Events;

/// <summary>
/// Two SessionApi instances on one Redis: a revoke on instance A reaches a Proxy subscribed to instance B's event
/// stream, ends the GoTrue session(s) and marks the mirrored rows revoked.
/// </summary>
public sealed class RevocationEventTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RedisServer _redis = null!;
    private StubSupabase _supabase = null!;
    private SessionTestHost _a = null!;
    private SessionTestHost _b = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _supabase = await StubSupabase.StartAsync();
        _a = new SessionTestHost(_redis, new ManualTime(), new() { ["Supabase:Url"] = _supabase.Url });
        _b = new SessionTestHost(_redis, new ManualTime(), new() { ["Supabase:Url"] = _supabase.Url });
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _supabase.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Theory]
    [InlineData("current")]
    [InlineData("others")]
    [InlineData("all")]
    [InlineData("one")]
    public async Task ARevokeOnOneInstanceReachesSubscribersOfAnotherWellUnderASecond(string scope)
    {
        var http = _a.Caller();
        var userId = Guid.NewGuid().ToString();
        var sessions = new List<(CreateSessionResponse Created, string GoTrueSessionId)>();
        for (var i = 0; i < 3; i++)
        {
            var goTrueSessionId = Guid.NewGuid().ToString();
            sessions.Add((await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "multi@example.com", $"refresh{i}abcdef", sessionId: goTrueSessionId)), goTrueSessionId));
        }
        var bystander = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "other@example.com"));
        var (current, currentGoTrue) = sessions[0];
        var expected = scope switch
        {
            "current" => [sessions[0]],
            "others" => sessions.Skip(1).ToList(),
            "all" => sessions,
            _ => [sessions[2]],
        };
        using var events = await EventStreamReader.OpenAsync(_b.Caller());

        var watch = Stopwatch.StartNew();
        var response = await http.RevokeAsync(current.Cookie, scope, scope == "one" ? sessions[2].Created.Session.Id : null);
        var revokedEvent = await events.NextAsync();
        watch.Stop();
        output.WriteLine($"scope {scope}: revoke on instance A → event on instance B's stream after {watch.Elapsed.TotalMilliseconds:F1} ms");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<RevokeSessionsResponse>();
        var expectedIds = expected.Select(s => s.Created.Session.Id).Order().ToList();
        Assert.Equal(expectedIds, answer!.Revoked.Order().ToList());
        Assert.Equal("revoked", revokedEvent?.Kind);
        Assert.Equal(userId, revokedEvent!.UserId);
        Assert.Equal(expectedIds, revokedEvent.SessionIds.Order().ToList());
        Assert.True(watch.ElapsedMilliseconds < 1000, $"{watch.ElapsedMilliseconds} ms");

        var other = _b.Caller();
        foreach (var (created, _) in sessions)
        {
            var status = (await other.ResolveAsync(created.Cookie)).StatusCode;
            Assert.Equal(expectedIds.Contains(created.Session.Id) ? HttpStatusCode.NotFound : HttpStatusCode.OK, status);
        }
        Assert.Equal(HttpStatusCode.OK, (await other.ResolveAsync(bystander.Cookie)).StatusCode);

        // GoTrue: one global logout for "all", else a local logout per session with a token naming that session.
        var logouts = await _supabase.WaitForAsync("/auth/v1/logout", scope == "all" ? 1 : expected.Count);
        Assert.All(logouts, l => Assert.Equal(LocalSupabaseKeys.AnonKey, l.Header("apikey")));
        var named = logouts.Select(l => new JsonWebToken(l.Header("Authorization")!["Bearer ".Length..]).GetPayloadValue<string>("session_id")).Order().ToList();
        if (scope == "all")
        {
            Assert.Equal("/auth/v1/logout?scope=global", Assert.Single(logouts).PathAndQuery);
        }
        else
        {
            Assert.All(logouts, l => Assert.Equal("/auth/v1/logout?scope=local", l.PathAndQuery));
            Assert.Equal(expected.Select(s => s.GoTrueSessionId).Order().ToList(), named);
        }

        // The sessions table: every revoked session's row gets revoked_at, nobody else's.
        var rows = await _supabase.WaitForAsync("/rest/v1/sessions", expected.Count, r => r.Body?["revoked_at"] is JsonValue);
        Assert.Equal(expectedIds, rows.Select(r => r.Body!["id"]!.GetValue<string>()).Order().ToList());
        Assert.All(rows, r => Assert.Equal(LocalSupabaseKeys.ServiceRoleKey, r.Header("apikey")));
        Assert.All(rows, r => Assert.Equal("Bearer " + LocalSupabaseKeys.ServiceRoleKey, r.Header("Authorization")));
        Assert.All(rows, r => Assert.Contains("resolution=merge-duplicates", r.Header("Prefer")));
    }

    [Fact]
    public async Task UserWebhookHooksUpdateAndRevokeEveryLiveSessionOfTheUser()
    {
        var http = _a.Caller();
        var userId = Guid.NewGuid().ToString();
        var first = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "hooked@example.com"));
        var second = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "hooked@example.com"));
        using var events = await EventStreamReader.OpenAsync(_b.Caller());

        var user = new JsonObject { ["id"] = userId, ["email"] = "renamed@example.com", ["phone"] = "", ["role"] = "authenticated",
            ["app_metadata"] = new JsonObject { ["provider"] = "email" }, ["user_metadata"] = new JsonObject() };
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsJsonAsync($"/internal/v1/users/{userId}", user)).StatusCode);
        var updated = await events.NextAsync();
        Assert.Equal("updated", updated?.Kind);
        Assert.Equal(new[] { first.Session.Id, second.Session.Id }.Order(), updated!.SessionIds.Order());
        var resolved = await _b.Caller().ResolveLiveAsync(second.Cookie);
        Assert.Equal("renamed@example.com", new JsonWebToken(resolved.Token.AccessToken).GetPayloadValue<string>("email"));

        var mismatched = await http.PutAsJsonAsync($"/internal/v1/users/{Guid.NewGuid()}", user);
        Assert.Equal(HttpStatusCode.BadRequest, mismatched.StatusCode); // the body's id must match the path

        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync($"/internal/v1/users/{userId}/sessions")).StatusCode);
        var revoked = await events.NextAsync();
        Assert.Equal("revoked", revoked?.Kind);
        Assert.Equal(new[] { first.Session.Id, second.Session.Id }.Order(), revoked!.SessionIds.Order());
        Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(first.Cookie)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(second.Cookie)).StatusCode);
        var listed = await http.GetFromJsonAsync<SessionListResponse>($"/internal/v1/users/{userId}/sessions");
        Assert.Empty(listed!.Sessions);
    }
}
