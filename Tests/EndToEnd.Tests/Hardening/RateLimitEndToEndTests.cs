using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Hardening;

/// <summary>Two Proxy instances share one budget, because the SessionApi counts in Redis.</summary>
public sealed class RateLimitEndToEndTests(ITestOutputHelper output)
{
    private const int Budget = 4;

    [Fact]
    public async Task SignInAttemptsAreCountedAcrossProxyInstancesAndRefusedIn429GoTrueFormat()
    {
        await using var stack = await new TestStackBuilder()
            .WithProxies(2)
            .WithRateLimits()
            .Configure(StackService.Proxy, new Dictionary<string, string?>
            {
                ["Gateway:RateLimits:Enabled"] = "true",
                ["Gateway:RateLimits:SignIn:PerIp"] = Budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Gateway:RateLimits:SignIn:WindowSeconds"] = "3600",
            })
            .StartAsync();
        var second = stack.Proxies[1];
        using var first = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = stack.ProxyUrl };
        using var other = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = second.Url };

        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < Budget; attempt++)
        {
            var client = attempt % 2 == 0 ? first : other;
            using var response = await client.PostAsJsonAsync("/supabase/auth/v1/token?grant_type=password", new { email = "nobody@example.com", password = "wrong" });
            statuses.Add(response.StatusCode);
        }
        output.WriteLine("within budget: " + string.Join(", ", statuses));
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.BadRequest, s)); // GoTrue's invalid_credentials

        foreach (var client in new[] { first, other })
        {
            using var limited = await client.PostAsJsonAsync("/supabase/auth/v1/token?grant_type=password", new { email = "nobody@example.com", password = "wrong" });
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            var body = (await limited.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.Equal(429, body["code"]!.GetValue<int>());
            Assert.Equal("over_request_rate_limit", body["error_code"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(body["msg"]?.GetValue<string>()));
            Assert.True(limited.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 and <= 3600 }, $"Retry-After: {limited.Headers.RetryAfter}");
            output.WriteLine($"{client.BaseAddress}: 429, Retry-After {limited.Headers.RetryAfter}");
        }

        // Sign-in budget exhausted; other budgets are not: an anonymous read still works.
        using var read = await first.GetAsync("/supabase/rest/v1/posts?select=*");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }
}
