using System.Net.Http.Json;
using Gateway.Contracts;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;
using TestSupport;

namespace SessionApi.Tests.Api;

/// <summary>POST /internal/v1/rate-limit: at most the budget in any window, counted in Redis for every instance.</summary>
public sealed class RateLimitTests(SharedRedis shared) : IClassFixture<SharedRedis>
{
    [Fact]
    public async Task TheBudgetHoldsInAnySlidingWindowNotJustPerClockAlignedWindow()
    {
        var time = new ManualTime();
        using var host = new SessionTestHost(shared.Server, time);
        var http = host.Caller();
        var key = "sign-in:" + Guid.NewGuid().ToString("N");
        async Task<RateLimitResponse> Hit()
        {
            var response = await http.PostAsJsonAsync("/internal/v1/rate-limit", new RateLimitRequest(key, 3, 60));
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<RateLimitResponse>())!;
        }

        Assert.Equal(2, (await Hit()).Remaining);              // t = 0
        time.Advance(TimeSpan.FromSeconds(40));
        Assert.Equal(1, (await Hit()).Remaining);              // t = 40
        Assert.Equal(0, (await Hit()).Remaining);              // t = 40
        var refused = await Hit();
        Assert.False(refused.Allowed);
        Assert.Equal(20, refused.RetryAfterSeconds);           // when the hit at t = 0 leaves the window

        // A clock-aligned 60 s window would start afresh here and allow three more within seconds of the last three.
        time.Advance(TimeSpan.FromSeconds(21));                // t = 61: only the hit at t = 0 has aged out
        Assert.True((await Hit()).Allowed);
        var stillFull = await Hit();
        Assert.False(stillFull.Allowed);
        Assert.Equal(39, stillFull.RetryAfterSeconds);         // the hits at t = 40 leave at t = 100

        time.Advance(TimeSpan.FromSeconds(40));                // t = 101
        Assert.True((await Hit()).Allowed);
        Assert.True((await Hit()).Allowed);
        Assert.False((await Hit()).Allowed);
    }

    [Fact]
    public async Task ConcurrentHitsFromTwoInstancesNeverExceedTheBudget()
    {
        var time = new ManualTime();
        using var first = new SessionTestHost(shared.Server, time);
        using var second = new SessionTestHost(shared.Server, time);
        var key = "shared:" + Guid.NewGuid().ToString("N");
        var callers = new[] { first.Caller(), second.Caller() };
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            var response = await callers[i % 2].PostAsJsonAsync("/internal/v1/rate-limit", new RateLimitRequest(key, 7, 60));
            return (await response.Content.ReadFromJsonAsync<RateLimitResponse>())!;
        }));
        Assert.Equal(7, responses.Count(r => r.Allowed));
        Assert.Equal(Enumerable.Range(0, 7).Reverse(), responses.Where(r => r.Allowed).Select(r => r.Remaining).OrderDescending());
    }
}
