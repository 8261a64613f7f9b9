using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Proxy.Options;
using Proxy.Security;
using Proxy.Tests.Support;

namespace Proxy.Tests.Security;

public sealed class RateLimitedProxyHarness : ProxyHarness
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Gateway:RateLimits:Enabled"] = "true",
        ["Gateway:RateLimits:SignIn:PerIp"] = "3",
        ["Gateway:RateLimits:Otp:PerIp"] = "2",
        ["Gateway:RateLimits:Session:PerIp"] = "1000",
        ["Gateway:RateLimits:Session:PerSession"] = "2",
        ["Gateway:RateLimits:Refresh:PerSession"] = "0",
        ["Gateway:RateLimits:Refresh:PerIp"] = "1000",
    };
}

/// <summary>Budgets per client IP and per session are enforced before GoTrue is asked, in GoTrue's own error format.</summary>
public sealed class RateLimitTests(RateLimitedProxyHarness proxy) : IClassFixture<RateLimitedProxyHarness>
{
    [Fact]
    public async Task SignInsBeyondTheIpBudgetGet429InGoTrueFormatWithoutReachingGoTrue()
    {
        var cookies = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            cookies.Add((await proxy.SignInAsync($"user{i}@example.com")).Cookie);
        }
        var upstream = proxy.Supabase.RequestsTo("/auth/v1/token").Count();

        // Without X-Supabase-Api-Version GoTrue answers its legacy shape; so do we.
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=password", json: new { email = "ann@example.com", password = "right" });
        using var limited = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var body = (await limited.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(429, body["code"]!.GetValue<int>());
        Assert.Equal("over_request_rate_limit", body["error_code"]!.GetValue<string>());
        Assert.NotNull(body["msg"]);
        Assert.True(limited.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 });

        using var signup = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/signup", json: new { email = "new@example.com", password = "right" });
        Assert.Equal(HttpStatusCode.TooManyRequests, (await proxy.Client.SendAsync(signup)).StatusCode);

        var form = proxy.Request(HttpMethod.Post, "/edge/v1/forms/sign-in");
        form.Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "ann@example.com", ["password"] = "right", ["return_url"] = "/" });
        using var formAnswer = await proxy.Client.SendAsync(form);
        Assert.StartsWith("/sign-in?error=over_request_rate_limit", formAnswer.Headers.Location!.OriginalString);

        Assert.Equal(upstream, proxy.Supabase.RequestsTo("/auth/v1/token").Count());

        // The refresh grant has its own budget: an exhausted sign-in budget does not sign anyone out.
        using var refresh = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=refresh_token", cookies[0], new { refresh_token = "placeholder" });
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.SendAsync(refresh)).StatusCode);
    }

    [Fact]
    public async Task ForwardedOtpRequestsAreLimitedBeforeTheyReachSupabase()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/otp", json: new { email = "otp@example.com" });
            using var response = await proxy.Client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }
        Assert.NotEqual(HttpStatusCode.TooManyRequests, statuses[1]);
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[2]);
        Assert.Equal(2, proxy.Supabase.RequestsTo("/auth/v1/otp").Count());
    }

    [Fact]
    public void CounterNamesNeverContainTheCookie()
    {
        const string cookie = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
        var key = RateLimitPartitionKey.SessionDigest(cookie)!;
        Assert.DoesNotContain("AAAA", key, StringComparison.Ordinal);
        Assert.Equal(key, RateLimitPartitionKey.SessionDigest(cookie));
        Assert.Null(RateLimitPartitionKey.SessionDigest("not;valid"));
    }
}

/// <summary>A chatty session runs out of its own budget; other sessions behind the same IP do not.</summary>
public sealed class SessionRateLimitTests(RateLimitedProxyHarness proxy) : IClassFixture<RateLimitedProxyHarness>
{
    [Fact]
    public async Task SessionEndpointsAreLimitedPerSessionNotForEveryone()
    {
        var talker = (await proxy.SignInAsync("talker@example.com")).Cookie;
        var quiet = (await proxy.SignInAsync("quiet@example.com")).Cookie;
        for (var i = 0; i < 2; i++)
        {
            using var ok = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/edge/v1/session", talker));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        using var limited = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/edge/v1/sessions", talker));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal("no-store", limited.Headers.CacheControl?.ToString());

        using var other = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/edge/v1/session", quiet));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }
}

/// <summary>When the counters cannot be read, rate-limited endpoints fail closed like every other session-store failure.</summary>
public sealed class RateLimitStoreDownTests(RateLimitedProxyHarness proxy) : IClassFixture<RateLimitedProxyHarness>
{
    [Fact]
    public async Task AnUnreadableCounterIs503NotAnUnlimitedPass()
    {
        proxy.SessionApi.Failing = true;
        try
        {
            using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/otp", json: new { email = "otp@example.com" });
            using var response = await proxy.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("session_store_unavailable", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error_code"]!.GetValue<string>());
            Assert.Empty(proxy.Supabase.RequestsTo("/auth/v1/otp"));
        }
        finally
        {
            proxy.SessionApi.Failing = false;
        }
    }
}

/// <summary>Every budget counts generously here, so each request reaches its endpoint and only the counters it drew on show.</summary>
public sealed class BudgetProbeProxyHarness : ProxyHarness
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Gateway:RateLimits:Enabled"] = "true",
        ["Gateway:RateLimits:SignIn:PerIp"] = "100000",
        ["Gateway:RateLimits:SignIn:PerSession"] = "0",
        ["Gateway:RateLimits:Refresh:PerIp"] = "100000",
        ["Gateway:RateLimits:Refresh:PerSession"] = "0",
        ["Gateway:RateLimits:Otp:PerIp"] = "100000",
        ["Gateway:RateLimits:Otp:PerSession"] = "0",
        ["Gateway:RateLimits:Session:PerIp"] = "100000",
        ["Gateway:RateLimits:Session:PerSession"] = "0",
    };
}

/// <summary>The route table names the budget of each route: checked at the SessionApi, where the counters are.</summary>
public sealed class RateLimitBudgetTests(BudgetProbeProxyHarness proxy) : IClassFixture<BudgetProbeProxyHarness>
{
    [Theory]
    [InlineData("POST", "/supabase/auth/v1/token?grant_type=password", RateLimitKind.SignIn)]
    [InlineData("POST", "/supabase/auth/v1/token?grant_type=pkce", RateLimitKind.SignIn)]
    [InlineData("POST", "/supabase/auth/v1/token?grant_type=id_token", RateLimitKind.SignIn)]
    [InlineData("POST", "/supabase/auth/v1/token?grant_type=refresh_token", RateLimitKind.Refresh)]
    [InlineData("POST", "/supabase/auth/v1/signup", RateLimitKind.SignIn)]
    [InlineData("POST", "/supabase/auth/v1/verify", RateLimitKind.SignIn)]
    [InlineData("GET", "/supabase/auth/v1/verify", RateLimitKind.SignIn)]
    [InlineData("POST", "/supabase/auth/v1/OTP/", RateLimitKind.Otp)]
    [InlineData("POST", "/supabase/auth/v1/magiclink", RateLimitKind.Otp)]
    [InlineData("POST", "/supabase/auth/v1/recover", RateLimitKind.Otp)]
    [InlineData("POST", "/supabase/auth/v1/resend", RateLimitKind.Otp)]
    [InlineData("POST", "/edge/v1/forms/sign-in", RateLimitKind.SignIn)]
    [InlineData("GET", "/edge/v1/session", RateLimitKind.Session)]
    [InlineData("DELETE", "/edge/v1/sessions/abc", RateLimitKind.Session)]
    [InlineData("GET", "/supabase/auth/v1/user", null)]
    [InlineData("POST", "/supabase/auth/v1/logout", null)]
    [InlineData("GET", "/supabase/rest/v1/notes", null)]
    [InlineData("GET", "/edge/v1/sessionsx", null)]
    [InlineData("GET", "/", null)]
    public async Task RequestsDrawOnTheRightBudget(string method, string pathAndQuery, RateLimitKind? expected)
    {
        var before = proxy.SessionApi.RateLimitKeys.Count;
        using var request = proxy.Request(new HttpMethod(method), pathAndQuery, json: method == "GET" ? null : new { email = "budget@example.com" });
        using var response = await proxy.Client.SendAsync(request);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, response.StatusCode);
        var budgets = proxy.SessionApi.RateLimitKeys.Skip(before).Select(key => key.Split(':')[0]).Distinct().ToList();
        Assert.Equal(expected is { } kind ? [kind.ToString().ToLowerInvariant()] : [], budgets);
    }
}
