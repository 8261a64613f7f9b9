using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Proxy.Tests.Support;

namespace Proxy.Tests.Security;

/// <summary>Unsafe requests carrying our cookie must come from our own origin, on every route.</summary>
public sealed class CsrfTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    [Theory]
    [InlineData("/supabase/rest/v1/notes")]
    [InlineData("/edge/v1/sessions/00000000-0000-0000-0000-000000000000")]
    [InlineData("/edge/v1/forms/sign-out")]
    [InlineData("/posts/new")]
    public async Task CrossOriginUnsafeRequestsWithTheCookieAreRefusedEverywhere(string path)
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        var upstreamBefore = proxy.Supabase.Requests.Count + proxy.SampleWeb.Requests.Count;
        using var request = new HttpRequestMessage(path.StartsWith("/edge/v1/sessions", StringComparison.Ordinal) ? HttpMethod.Delete : HttpMethod.Post, path);
        request.Headers.Add("Cookie", $"{ProxyHarness.CookieName}={cookie}");
        request.Headers.Add("Origin", "https://evil.example");
        request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("csrf_origin_mismatch", (await response.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());
        Assert.Equal(upstreamBefore, proxy.Supabase.Requests.Count + proxy.SampleWeb.Requests.Count);
        Assert.NotNull(proxy.SessionApi.Find(cookie)); // nothing was signed out
    }

    [Theory]
    [InlineData(null, "same-origin", HttpStatusCode.OK)]
    [InlineData(null, "cross-site", HttpStatusCode.Forbidden)]
    [InlineData(null, "same-site", HttpStatusCode.Forbidden)]
    [InlineData(null, null, HttpStatusCode.Forbidden)]
    [InlineData("null", null, HttpStatusCode.Forbidden)]
    [InlineData("self", "cross-site", HttpStatusCode.OK)] // Origin, when present, decides
    public async Task OriginOrFetchMetadataDecide(string? origin, string? fetchSite, HttpStatusCode expected)
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/supabase/rest/v1/notes");
        request.Headers.Add("Cookie", $"{ProxyHarness.CookieName}={cookie}");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin == "self" ? proxy.PublicOrigin : origin);
        }
        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }
        request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task SafeMethodsAndCookielessRequestsAreNotCsrfChecked()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        using var get = new HttpRequestMessage(HttpMethod.Get, "/supabase/rest/v1/notes");
        get.Headers.Add("Cookie", $"{ProxyHarness.CookieName}={cookie}");
        get.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.SendAsync(get)).StatusCode);

        using var anonymous = new HttpRequestMessage(HttpMethod.Post, "/supabase/rest/v1/posts") { Content = new StringContent("{}") };
        anonymous.Headers.Add("Origin", "https://evil.example");
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.SendAsync(anonymous)).StatusCode);
    }

    [Theory]
    [InlineData("/edge/v1/forms/sign-in")]
    [InlineData("/supabase/auth/v1/token?grant_type=password")]
    public async Task AForeignPageCannotSignTheBrowserIntoAnAccount(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("Origin", "https://evil.example");
        request.Content = path.StartsWith("/edge", StringComparison.Ordinal)
            ? new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "attacker@example.com", ["password"] = "right" })
            : JsonContent.Create(new { email = "attacker@example.com", password = "right" });
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(ProxyHarness.SetCookieHeader(response));
    }
}
