using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Proxy.Tests.Support;

namespace Proxy.Tests.Security;

/// <summary>Gateway:Limits: oversized, duplicated and malformed input is refused with a GoTrue-style JSON 4xx before any work.</summary>
public sealed class RequestLimitsTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    [Fact]
    public async Task AnOversizedCookieHeaderIs431Json()
    {
        using var request = proxy.Request(HttpMethod.Get, "/edge/v1/session");
        request.Headers.Add("Cookie", "junk=" + new string('a', 20 * 1024));
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Equal("request_header_fields_too_large", await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task OversizedHeadersAre431JsonAndFarLargerOnesAreStoppedByKestrel()
    {
        using var request = proxy.Request(HttpMethod.Get, "/");
        for (var i = 0; i < 5; i++)
        {
            request.Headers.Add($"X-Padding-{i}", new string('b', 7 * 1024));
        }
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Equal("request_header_fields_too_large", await ErrorCodeAsync(response));
        Assert.Empty(proxy.SampleWeb.Requests);

        using var huge = proxy.Request(HttpMethod.Get, "/");
        huge.Headers.Add("X-Padding", new string('c', 64 * 1024));
        using var refused = await proxy.Client.SendAsync(huge);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, refused.StatusCode);
    }

    [Fact]
    public async Task TwoSessionCookiesOfTheSameNameAre400AndClearTheCookie()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        using var request = proxy.Request(HttpMethod.Get, "/edge/v1/session");
        request.Headers.Add("Cookie", $"{ProxyHarness.CookieName}={cookie}; {ProxyHarness.CookieName}=planted.value");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("duplicate_session_cookie", await ErrorCodeAsync(response));
        Assert.Equal("", ProxyHarness.SetCookieValue(response));
    }

    [Fact]
    public async Task TheCookieIsReadByItsExactNameOnly()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        // ASP.NET's parser would match these case-insensitively or percent-decoded; neither is our cookie.
        using var upper = proxy.Request(HttpMethod.Get, "/edge/v1/session");
        upper.Headers.Add("Cookie", $"SB-SESSION={cookie}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxy.Client.SendAsync(upper)).StatusCode);

        using var encoded = proxy.Request(HttpMethod.Get, "/edge/v1/session");
        encoded.Headers.Add("Cookie", $"{ProxyHarness.CookieName}={cookie.Replace(".", "%2E", StringComparison.Ordinal)}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxy.Client.SendAsync(encoded)).StatusCode);

        using var exact = proxy.Request(HttpMethod.Get, "/edge/v1/session");
        exact.Headers.Add("Cookie", $"other=1; {ProxyHarness.CookieName}={cookie}");
        Assert.Equal(HttpStatusCode.OK, (await proxy.Client.SendAsync(exact)).StatusCode);
    }

    [Theory]
    [InlineData("{\"email\":\"ann@example.com\",\"password\":", "bad_json")]
    [InlineData("not json at all", "bad_json")]
    [InlineData("[1,2,3]", "bad_json")]
    [InlineData("", "bad_json")]
    public async Task MalformedJsonOnInterceptedEndpointsIs400BadJsonAndNeverForwarded(string body, string code)
    {
        var before = proxy.Supabase.RequestsTo("/auth/v1/token").Count();
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=password");
        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, await ErrorCodeAsync(response));
        Assert.Equal(before, proxy.Supabase.RequestsTo("/auth/v1/token").Count());
    }

    [Fact]
    public async Task DeeplyNestedJsonIs400BadJson()
    {
        var nested = "{\"email\":\"a@example.com\",\"data\":" + string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40) + "}";
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/signup");
        request.Content = new StringContent(nested, Encoding.UTF8, "application/json");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_json", await ErrorCodeAsync(response));
    }

    [Theory]
    [InlineData("/supabase/auth/v1/token?grant_type=password")]
    [InlineData("/supabase/auth/v1/otp")]
    public async Task OversizedAuthBodiesAre413(string path)
    {
        using var request = proxy.Request(HttpMethod.Post, path);
        request.Content = new StringContent("{\"email\":\"" + new string('x', 1024 * 1024 + 10) + "\"}", Encoding.UTF8, "application/json");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_entity_too_large", await ErrorCodeAsync(response));
        Assert.Empty(proxy.Supabase.RequestsTo("/auth/v1/otp"));
    }

    [Fact]
    public async Task AnOversizedChunkedSignInBodyIs413NotA500()
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/signup");
        // A stream of unknown length goes out chunked: no Content-Length to refuse up front.
        request.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"email\":\"" + new string('x', 2 * 1024 * 1024) + "\"}")));
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_entity_too_large", await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task InvalidUtf8InASignInBodyIs400BadJson()
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=password");
        request.Content = new ByteArrayContent([.. "{\"email\":\""u8, 0xFF, 0xFE, .. "\",\"password\":\"right\"}"u8]);
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("bad_json", await ErrorCodeAsync(response));
    }

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return (body["error_code"] ?? body["code"])!.GetValue<string>();
    }
}
