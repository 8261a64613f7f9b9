using System.Net;
using System.Text.Json.Nodes;
using Proxy.Tests.Support;

namespace Proxy.Tests.Auth;

/// <summary>
/// Issue 20, points 1 and 2 at the Proxy's edge: which requests become gateway-owned PKCE flows (every route that
/// mails a link, OAuth and identity linking, when the client sent no challenge) and what GoTrue then receives; the
/// supabase-js round trips are in EndToEnd.Tests (ServerPkceFlowTests).
/// </summary>
public sealed class ServerPkceTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    public static TheoryData<string, string, string> EmailLinkRequests => new()
    {
        { "POST", "/otp", """{"email":"ann@example.com","code_challenge":null,"code_challenge_method":null}""" },
        { "POST", "/magiclink", """{"email":"ann@example.com"}""" },
        { "POST", "/recover", """{"email":"ann@example.com","code_challenge":null}""" },
        { "POST", "/resend", """{"type":"signup","email":"ann@example.com"}""" },
        { "POST", "/resend", """{"type":"email_change","email":"ann@example.com"}""" },
        { "POST", "/sso", """{"domain":"example.com","redirect_to":"REDIRECT"}""" },
        { "PUT", "/user", """{"email":"new@example.com","Code_Challenge":null}""" },
    };

    [Theory]
    [MemberData(nameof(EmailLinkRequests))]
    public async Task EveryEmailLinkRequestWithoutAChallengeGetsTheGatewaysChallengeAndCallback(string method, string route, string json)
    {
        var appTarget = proxy.PublicOrigin + "/welcome";
        using var request = proxy.Request(new HttpMethod(method), $"/supabase/auth/v1{route}?redirect_to={Uri.EscapeDataString(appTarget)}");
        request.Content = new StringContent(json.Replace("REDIRECT", appTarget, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json");
        using var response = await proxy.Client.SendAsync(request);

        var seen = proxy.Supabase.RequestsTo("/auth/v1" + route).Last();
        var body = JsonNode.Parse(seen.Body)!.AsObject();
        Assert.Equal("s256", body["code_challenge_method"]!.GetValue<string>());
        Assert.Matches("^[A-Za-z0-9_-]{43}$", body["code_challenge"]!.GetValue<string>());
        Assert.Single(body, p => p.Key.Equals("code_challenge", StringComparison.OrdinalIgnoreCase));
        var callback = Uri.EscapeDataString(proxy.PublicOrigin + "/edge/v1/auth/callback?flow=");
        Assert.Contains("redirect_to=" + callback, seen.Query, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(appTarget), seen.Query, StringComparison.Ordinal);
        var flowCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sb-flow-", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("httponly", flowCookie);
        Assert.Contains("path=/edge/v1/auth/callback", flowCookie);
        Assert.Contains("samesite=lax", flowCookie);
    }

    [Fact]
    public async Task AClientsOwnChallengeAndPhoneOtpsPassUntouched()
    {
        var challenge = new string('a', 43);
        using (var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/otp", json: new { email = "ann@example.com", code_challenge = challenge, code_challenge_method = "s256" }))
        using (var response = await proxy.Client.SendAsync(request))
        {
            Assert.Equal(challenge, JsonNode.Parse(proxy.Supabase.RequestsTo("/auth/v1/otp").Last().Body)!["code_challenge"]!.GetValue<string>());
            Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("sb-flow-", StringComparison.Ordinal)));
        }
        using (var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/otp", json: new { phone = "+15550100" }))
        using (await proxy.Client.SendAsync(request))
        {
            Assert.Null(JsonNode.Parse(proxy.Supabase.RequestsTo("/auth/v1/otp").Last().Body)!["code_challenge"]);
        }
    }

    [Theory]
    [InlineData("/supabase/auth/v1/authorize?provider=github", "/auth/v1/authorize")]
    [InlineData("/supabase/auth/v1/user/identities/authorize?provider=github&skip_http_redirect=true", "/auth/v1/user/identities/authorize")]
    public async Task OAuthWithoutAChallengeGetsTheGatewaysChallengeAndCallback(string path, string upstreamPath)
    {
        using var response = await proxy.Client.GetAsync(path + "&redirect_to=" + Uri.EscapeDataString(proxy.PublicOrigin + "/after"));

        var query = System.Web.HttpUtility.ParseQueryString(proxy.Supabase.RequestsTo(upstreamPath).Last().Query);
        Assert.Equal("s256", query["code_challenge_method"]);
        Assert.StartsWith(proxy.PublicOrigin + "/edge/v1/auth/callback?flow=", query["redirect_to"], StringComparison.Ordinal);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("sb-flow-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheCallbackWithoutThisBrowsersFlowCookieSignsNobodyIn()
    {
        using var response = await proxy.Client.GetAsync("/edge/v1/auth/callback?flow=AAAAAAAAAAAAAAAAAAAAAA&code=" + Guid.NewGuid());

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Contains("error_code=flow_state_not_found", response.Headers.Location!.OriginalString);
        Assert.DoesNotContain(proxy.Supabase.RequestsTo("/auth/v1/token"), r => r.Query.Contains("grant_type=pkce", StringComparison.Ordinal));
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(ProxyHarness.CookieName + "=", StringComparison.Ordinal) && !c.Contains("expires=Thu, 01 Jan 1970", StringComparison.Ordinal)));
    }
}
