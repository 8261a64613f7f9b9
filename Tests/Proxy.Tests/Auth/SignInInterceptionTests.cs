using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Proxy.Tests.Support;

namespace Proxy.Tests.Auth;

/// <summary>GoTrue's session-issuing routes: the session goes to the SessionApi, the browser gets a cookie and placeholders.</summary>
public sealed class SignInInterceptionTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    [Fact]
    public async Task PasswordSignInSetsAHardenedCookieAndAnswersAPlaceholderSession()
    {
        var (cookie, body, response) = await proxy.SignInAsync("ann@example.com");

        var setCookie = ProxyHarness.SetCookieHeader(response)!.ToLowerInvariant();
        Assert.Contains("httponly", setCookie);
        Assert.Contains("secure", setCookie); // loopback over http: Chromium keeps Secure cookies there
        Assert.Contains("samesite=lax", setCookie);
        Assert.Contains("path=/", setCookie);
        Assert.Contains("max-age=", setCookie);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());

        // The SessionApi got GoTrue's real session; the browser got none of it.
        var created = proxy.SessionApi.Created.Last();
        Assert.Equal(FakeSupabase.RealRefreshToken, created.GoTrue.RefreshToken);
        Assert.Equal("127.0.0.1", created.Client.Ip);
        var text = body.ToJsonString();
        Assert.DoesNotContain(FakeSupabase.RealRefreshToken, text);
        Assert.DoesNotContain(created.GoTrue.AccessToken, text);
        Assert.DoesNotContain(cookie, text);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var all) && all.Any(c => c.StartsWith("upstream=", StringComparison.Ordinal)));

        var placeholder = new JsonWebToken(body["access_token"]!.GetValue<string>());
        Assert.Equal(FakeSupabase.UserId, placeholder.Subject);
        Assert.Equal(proxy.SessionApi.Find(cookie)!.Id, placeholder.GetPayloadValue<string>("session_id"));
        Assert.Equal(body["expires_at"]!.GetValue<long>(), placeholder.GetPayloadValue<long>("exp"));
        Assert.True(body["expires_in"]!.GetValue<long>() > 90);
        Assert.Equal("ann@example.com", body["user"]!["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task EverySignInStartsANewSessionAndEndsTheOneTheBrowserHeld()
    {
        var (first, _, _) = await proxy.SignInAsync();
        var (second, _, _) = await proxy.SignInAsync(previousCookie: first);

        Assert.NotEqual(first, second);
        Assert.Contains(proxy.SessionApi.Revoked, r => r.Cookie == first && r.Scope == "current");
        Assert.Null(proxy.SessionApi.Find(first));
        using var old = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/edge/v1/session", first));
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
    }

    [Fact]
    public async Task UpstreamCookiesAreNeverReplayedOnLaterSignIns()
    {
        // Supabase answers with Set-Cookie; a server-side cookie container would hand it to the next user.
        await proxy.SignInAsync("first@example.com");
        await proxy.SignInAsync("second@example.com");
        Assert.All(proxy.Supabase.RequestsTo("/auth/v1/token"), r => Assert.Null(r.Header("cookie")));
    }

    [Fact]
    public async Task GoTrueErrorsPassThroughUnchanged()
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=password", json: new { email = "ann@example.com", password = "wrong" });
        request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("2024-01-01", response.Headers.GetValues("X-Supabase-Api-Version").Single());
        Assert.Equal("invalid_credentials", response.Headers.GetValues("x-sb-error-code").Single());
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("invalid_credentials", body!["code"]!.GetValue<string>());
        Assert.Null(ProxyHarness.SetCookieHeader(response));
    }

    [Fact]
    public async Task SignUpAwaitingConfirmationPassesTheBareUserThrough()
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/signup", json: new { email = "confirm-me@example.com", password = "right" });
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("confirm-me@example.com", body!["email"]!.GetValue<string>());
        Assert.Null(body["access_token"]);
        Assert.Null(ProxyHarness.SetCookieHeader(response));
    }

    [Fact]
    public async Task RefreshIsAnsweredFromTheCookieAndNeverReachesGoTrue()
    {
        var (cookie, first, _) = await proxy.SignInAsync();
        var upstreamTokenCalls = proxy.Supabase.RequestsTo("/auth/v1/token").Count();

        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=refresh_token", cookie,
            new { refresh_token = first["refresh_token"]!.GetValue<string>() });
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.False(string.IsNullOrEmpty(body!["access_token"]?.GetValue<string>()));
        Assert.False(body["refresh_token"]!.GetValue<string>().StartsWith("sb_", StringComparison.Ordinal));
        Assert.Equal(upstreamTokenCalls, proxy.Supabase.RequestsTo("/auth/v1/token").Count());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RefreshWithoutASessionIsGoTruesRefreshTokenError(bool versioned)
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=refresh_token", json: new { refresh_token = "gw_whatever" });
        if (versioned)
        {
            request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
        }
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        if (versioned)
        {
            Assert.Equal("refresh_token_not_found", body!["code"]!.GetValue<string>());
            Assert.Equal("2024-01-01", response.Headers.GetValues("X-Supabase-Api-Version").Single());
        }
        else
        {
            Assert.Equal("refresh_token_not_found", body!["error_code"]!.GetValue<string>());
            Assert.Equal(400, body["code"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task UnknownGrantTypesAreGoTruesToRefuse()
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=magic", json: new { });
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(proxy.Supabase.RequestsTo("/auth/v1/token"), r => r.Query == "?grant_type=magic" && r.Header("authorization") == "Bearer " + ProxyHarness.AnonKey);
    }

    [Fact]
    public async Task OversizedSignInBodiesAreRefusedBeforeGoTrue()
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=password");
        request.Content = new StringContent("{\"email\":\"" + new string('a', 1024 * 1024 + 10) + "\"}", System.Text.Encoding.UTF8, "application/json");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("local", "current", true)]
    [InlineData("others", "others", false)]
    [InlineData("global", "all", true)]
    public async Task LogoutScopesMapToSessionApiScopes(string scope, string expectedScope, bool clearsCookie)
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Post, $"/supabase/auth/v1/logout?scope={scope}", cookie));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains(proxy.SessionApi.Revoked, r => r.Cookie == cookie && r.Scope == expectedScope);
        Assert.Equal(clearsCookie, ProxyHarness.SetCookieValue(response) == "");
        Assert.Equal(!clearsCookie, proxy.SessionApi.Find(cookie) is not null);
    }

    [Fact]
    public async Task LogoutWithAnUnknownScopeIsAValidationError()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Post, "/supabase/auth/v1/logout?scope=everyone", cookie));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(proxy.SessionApi.Find(cookie));
    }

    [Theory]
    [InlineData("/supabase/auth/v1/factors/f1/verify")]
    [InlineData("/supabase/auth/v1/token/?grant_type=password")]
    [InlineData("/supabase/auth/v1/TOKEN?grant_type=password")]
    public async Task NoSessionIssuingAnswerEverReachesTheBrowserWithRealTokens(string path)
    {
        using var request = proxy.Request(HttpMethod.Post, path, json: new { email = "ann@example.com", password = "right", code = "123456" });
        using var response = await proxy.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(FakeSupabase.RealRefreshToken, text);
        Assert.DoesNotContain("real-access-token", text);
    }

    [Fact]
    public async Task ImplicitFlowRedirectsLoseTheirTokens()
    {
        using var response = await proxy.Client.GetAsync("/supabase/auth/v1/verify?token=abc&type=magiclink&redirect_to=" + Uri.EscapeDataString(proxy.PublicOrigin + "/welcome"));
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("http://app.example.test/welcome#error=", location);
        Assert.DoesNotContain("access_token", location);
        Assert.DoesNotContain(FakeSupabase.RealRefreshToken, location);
    }
}
