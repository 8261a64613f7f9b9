using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Proxy.Tests.Support;

namespace Proxy.Tests.Forwarding;

/// <summary>/supabase/** through YARP: what upstream receives and what the browser gets back.</summary>
public sealed class SupabaseForwardingTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    [Fact]
    public async Task AnonymousRequestGoesUpstreamWithTheProjectKeyAndNothingTheBrowserSent()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/supabase/rest/v1/posts?select=*");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer sb_publishable_forged");
        request.Headers.Add("apikey", "browser-supplied-key");
        request.Headers.Add("Cookie", "theme=dark; other=1");
        request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
        request.Headers.Add("Sb-Forwarded-For", "6.6.6.6");
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = proxy.Supabase.RequestsTo("/rest/v1/posts").Last();
        Assert.Equal("?select=*", seen.Query);
        Assert.Equal(ProxyHarness.AnonKey, seen.Header("apikey"));
        Assert.Equal("Bearer " + ProxyHarness.AnonKey, seen.Header("authorization"));
        Assert.Null(seen.Header("cookie"));
        Assert.Null(seen.Header("sb-forwarded-for")); // only for /auth/v1, and never the browser's own value
        Assert.Equal("2024-01-01", seen.Header("x-supabase-api-version"));

        // Upstream's cookie and CORS headers stay behind; the API version header comes through.
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.DoesNotContain(response.Headers.Concat(response.Content.Headers), h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("2024-01-01", response.Headers.GetValues("X-Supabase-Api-Version").Single());
    }

    [Fact]
    public async Task LiveSessionGetsTheMintedTokenUpstreamAndTheCookieStaysHere()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        using var request = proxy.Request(HttpMethod.Get, "/supabase/rest/v1/notes", cookie);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer attacker-chosen-token");
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = proxy.Supabase.RequestsTo("/rest/v1/notes").Last();
        var bearer = seen.Header("authorization")!;
        Assert.StartsWith("Bearer minted-", bearer);
        Assert.Contains(bearer["Bearer ".Length..], proxy.SessionApi.MintedTokens);
        Assert.Equal(ProxyHarness.AnonKey, seen.Header("apikey"));
        Assert.Null(seen.Header("cookie"));
        Assert.DoesNotContain(cookie, string.Join("\n", seen.Headers.Values));
    }

    [Fact]
    public async Task ClientIpIsForwardedToAuthOnly()
    {
        using var auth = new HttpRequestMessage(HttpMethod.Get, "/supabase/auth/v1/settings");
        auth.Headers.Add("Sb-Forwarded-For", "6.6.6.6");
        using var _ = await proxy.Client.SendAsync(auth);
        Assert.Equal("127.0.0.1", proxy.Supabase.RequestsTo("/auth/v1/settings").Last().Header("sb-forwarded-for"));
    }

    [Fact]
    public async Task CookieWhoseSessionEndedIsToldSoAndNeverServedAnonymously()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        var view = proxy.SessionApi.Find(cookie)!;
        var revoked = proxy.Cache.GetRevocationToken(view.Id);
        proxy.SessionApi.EndQuietly(view.Id);
        await proxy.SessionApi.PublishAsync(new Gateway.Contracts.SessionEvent("revoked", view.UserId, [view.Id], "test"));
        for (var i = 0; i < 500 && !revoked.IsCancellationRequested; i++)
        {
            await Task.Delay(10);
        }
        var before = proxy.Supabase.Requests.Count;

        using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/supabase/rest/v1/notes", cookie));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("session_expired", error!["code"]!.GetValue<string>());
        Assert.Equal("2024-01-01", response.Headers.GetValues("X-Supabase-Api-Version").Single());
        Assert.Equal("", ProxyHarness.SetCookieValue(response)); // cleared
        Assert.Equal(before, proxy.Supabase.Requests.Count); // nothing went upstream, not even anonymously
    }

    [Fact]
    public async Task GarbageCookieIsEndedWithoutAskingTheSessionApi()
    {
        var resolves = proxy.SessionApi.Resolves;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/supabase/rest/v1/notes");
        request.Headers.TryAddWithoutValidation("Cookie", $"{ProxyHarness.CookieName}={new string('x', 4000)}");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(resolves, proxy.SessionApi.Resolves);
    }

    [Theory]
    [InlineData("/supabase/rest/v1/..%2F..%2Fadmin")]
    [InlineData("/supabase/rest/v1/%2e%2e%2f%2e%2e%2fadmin")]
    [InlineData("/supabase//auth/v1/token?grant_type=password")]
    [InlineData("/supabase/rest/v1/%5c..%5cadmin")]
    public async Task PathsThatUpstreamCouldReadDifferentlyAreRefused(string rawPath)
    {
        var (status, _) = await RawGetAsync(rawPath);
        Assert.Equal(400, status);
        Assert.DoesNotContain(proxy.Supabase.Requests, r => r.Path.Contains("admin", StringComparison.Ordinal) || r.Path.Contains("//", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/supabase/../admin")]
    [InlineData("/supabase/%2e%2e/admin")]
    [InlineData("/supabase/rest/v1/../../../../admin")]
    public async Task DotSegmentsCannotLeaveThePrefix(string rawPath)
    {
        var (status, _) = await RawGetAsync(rawPath);
        Assert.NotEqual(418, status); // the fake answers 418 to anything outside its base path
        Assert.All(proxy.Supabase.Requests, r => Assert.StartsWith(FakeSupabase.BasePath + "/", r.Path));
    }

    /// <summary>HttpClient would normalise these paths itself; a raw socket sends them as an attacker would.</summary>
    private async Task<(int Status, string Head)> RawGetAsync(string rawPath)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(proxy.ProxyUrl.Host, proxy.ProxyUrl.Port);
        await using var stream = tcp.GetStream();
        var request = $"GET {rawPath} HTTP/1.1\r\nHost: {proxy.ProxyUrl.Authority}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var head = await reader.ReadToEndAsync();
        return (int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), head);
    }
}
