using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Gateway.Contracts;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.Api;

/// <summary>Redis goes away: every call fails closed with a 503 problem, event streams end, and all recovers after.</summary>
public sealed class StoreUnavailableTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task WithoutRedisCallsGet503ProblemsAndEventStreamsEndThenEverythingRecovers()
    {
        using var host = new SessionTestHost(_redis, new ManualTime());
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "down@example.com"));
        using var events = await EventStreamReader.OpenAsync(host.Caller());

        await _redis.StopAsync();
        var watch = Stopwatch.StartNew();
        var calls = new Dictionary<string, Func<Task<HttpResponseMessage>>>
        {
            ["resolve"] = () => http.ResolveAsync(created.Cookie),
            ["create"] = () => http.PostAsJsonAsync("/internal/v1/sessions", new CreateSessionRequest(SessionTestHost.GoTrueSession(userId, "down@example.com"), new ClientInfo(null, null))),
            ["list"] = () => http.GetAsync($"/internal/v1/users/{userId}/sessions"),
            ["revoke"] = () => http.RevokeAsync(created.Cookie, "current"),
        };
        foreach (var (name, call) in calls)
        {
            var response = await call();
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{name}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("\"status\":503", body);
            Assert.DoesNotContain("   at ", body);
        }
        output.WriteLine($"4 calls answered 503 within {watch.ElapsedMilliseconds} ms of Redis stopping");

        // The open event stream ends: the Proxy behind it stops trusting its cache.
        var ended = await events.NextAsync(TimeSpan.FromSeconds(10));
        Assert.Null(ended);
        output.WriteLine($"event stream ended {watch.ElapsedMilliseconds} ms after Redis stopped");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.Caller().GetAsync("/internal/v1/events")).StatusCode);

        await _redis.StartAgainAsync();
        using var again = await WaitForEventStreamAsync(host);
        Assert.Equal(HttpStatusCode.OK, (await http.ResolveAsync(created.Cookie)).StatusCode); // persisted, not lost
        output.WriteLine($"events flowing again {watch.ElapsedMilliseconds} ms after the outage began");
        Assert.Equal(HttpStatusCode.OK, (await http.RevokeAsync(created.Cookie, "current")).StatusCode);
        Assert.Equal("revoked", (await again.NextAsync())?.Kind);
    }

    private static async Task<EventStreamReader> WaitForEventStreamAsync(SessionTestHost host)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await EventStreamReader.OpenAsync(host.Caller());
            }
            catch (Exception) when (deadline.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(200);
            }
        }
    }
}
