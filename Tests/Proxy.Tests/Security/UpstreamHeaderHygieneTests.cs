using System.Net;
using Proxy.Tests.Support;

namespace Proxy.Tests.Security;

/// <summary>
/// Issue 20, points 4, 8 and 9 (headers): what the browser may not decide for Supabase (a Referer GoTrue would take as
/// the redirect target, client-address headers, the Host), and the gateway's own headers on the redirect
/// allow-list's refusals.
/// </summary>
public sealed class UpstreamHeaderHygieneTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    [Theory]
    [InlineData("GET", "/supabase/auth/v1/authorize?provider=github", "/auth/v1/authorize")]
    [InlineData("POST", "/supabase/auth/v1/recover", "/auth/v1/recover")]
    [InlineData("POST", "/supabase/auth/v1/otp", "/auth/v1/otp")]
    public async Task TheRefererNeverReachesGoTrueOnAuthRoutes(string method, string path, string upstreamPath)
    {
        using var request = proxy.Request(new HttpMethod(method), path, json: method == "POST" ? new { email = "ann@example.com" } : null);
        request.Headers.Referrer = new Uri("https://evil.example/steal");
        using var response = await proxy.Client.SendAsync(request);

        var seen = proxy.Supabase.RequestsTo(upstreamPath).Last();
        Assert.Null(seen.Header("referer"));
        Assert.DoesNotContain("evil.example", seen.Query + seen.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientAddressHeadersAndTheHostAreNotPassedToSupabase()
    {
        using var request = proxy.Request(HttpMethod.Get, "/supabase/rest/v1/notes?select=id");
        foreach (var name in new[] { "X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "X-Client-IP" })
        {
            request.Headers.TryAddWithoutValidation(name, "203.0.113.66");
        }
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "evil.example");
        using var response = await proxy.Client.SendAsync(request);

        var seen = proxy.Supabase.RequestsTo("/rest/v1/notes").Last();
        Assert.DoesNotContain(seen.Headers, h => h.Value.Contains("203.0.113.66", StringComparison.Ordinal));
        Assert.Null(seen.Header("x-forwarded-host"));
        Assert.Null(seen.Header("x-real-ip"));
        Assert.Equal("127.0.0.1", seen.Header("x-forwarded-for"));
    }

    [Fact]
    public async Task RedirectAllowListRefusalsCarryTheSecurityHeaders()
    {
        using var response = await proxy.Client.GetAsync("/supabase/auth/v1/authorize?provider=github&redirect_to=" + Uri.EscapeDataString("https://evil.example/"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Contains("frame-ancestors 'none'", string.Join(",", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Equal("DENY", string.Join(",", response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task AnswersForASessionAreNeverLeftToSharedCaches()
    {
        var (cookie, _, _) = await proxy.SignInAsync("cache@example.com");
        using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/supabase/rest/v1/cacheable", cookie));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cacheControl = response.Headers.CacheControl!;
        Assert.True(cacheControl.Private, cacheControl.ToString());
        Assert.False(cacheControl.Public, cacheControl.ToString());
        Assert.Null(cacheControl.SharedMaxAge);
        Assert.Contains("Cookie", response.Headers.Vary);

        using var anonymous = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/supabase/rest/v1/cacheable"));
        Assert.True(anonymous.Headers.CacheControl!.Public); // nothing personal: the upstream's policy stands
    }

    [Fact]
    public async Task AnUpstreamErrorPageIsNotRelayedButSupabasesJsonErrorsAre()
    {
        using var page = await proxy.Client.GetAsync("/supabase/rest/v1/crash");
        Assert.Equal(HttpStatusCode.InternalServerError, page.StatusCode);
        var text = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Db.cs", text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        Assert.Contains("upstream_error", text, StringComparison.Ordinal);

        using var json = await proxy.Client.GetAsync("/supabase/rest/v1/json-error");
        Assert.Equal(HttpStatusCode.InternalServerError, json.StatusCode);
        Assert.Contains("XX000", await json.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
