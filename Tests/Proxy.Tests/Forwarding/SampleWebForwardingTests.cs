using System.Net;
using Gateway.Contracts;
using Proxy.Tests.Support;

namespace Proxy.Tests.Forwarding;

/// <summary>Everything that is not /supabase or /edge goes to SampleWeb with a verifiable identity and nothing forged.</summary>
public sealed class SampleWebForwardingTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    [Fact]
    public async Task LiveSessionReachesSampleWebAsAnIdentityAssertionNotAsOurCookie()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/posts?page=2");
        request.Headers.Add("Cookie", $"{ProxyHarness.CookieName}={cookie}; .AspNetCore.Antiforgery.abc=token; theme=dark");
        request.Headers.Add("X-Gateway-Identity", "forged-by-the-browser");
        request.Headers.Add("X-Gateway-Session", "forged");
        using var response = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = proxy.SampleWeb.Requests.Last(r => r.Path == "/posts");
        Assert.Equal("?page=2", seen.Query);
        Assert.Equal(".AspNetCore.Antiforgery.abc=token; theme=dark", seen.Header("cookie"));
        Assert.StartsWith("assertion-" + proxy.SessionApi.Find(cookie)!.Id, seen.Header("x-gateway-identity"));
        Assert.Null(seen.Header("x-gateway-session"));
    }

    [Fact]
    public async Task AnonymousPagesCarryNoGatewayHeadersAtAll()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Gateway-Identity", "forged-by-the-browser");
        using var response = await proxy.Client.SendAsync(request);
        var seen = proxy.SampleWeb.Requests.Last(r => r.Path == "/");
        Assert.DoesNotContain(seen.Headers.Keys, k => k.StartsWith("x-gateway-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EndedSessionIsServedAnonymouslyWithANoticeAndTheCookieCleared()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        var view = proxy.SessionApi.Find(cookie)!;
        proxy.SessionApi.EndQuietly(view.Id);
        await proxy.SessionApi.PublishAsync(new SessionEvent("revoked", view.UserId, [view.Id], "test"));

        var deadline = DateTime.UtcNow.AddSeconds(5);
        HttpResponseMessage response;
        RecordedRequest seen;
        do
        {
            response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/account", cookie));
            seen = proxy.SampleWeb.Requests.Last(r => r.Path == "/account");
        }
        while (seen.Header("x-gateway-session") is null && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ended", seen.Header("x-gateway-session"));
        Assert.Null(seen.Header("x-gateway-identity"));
        Assert.Equal("", ProxyHarness.SetCookieValue(response));
        response.Dispose();
    }

    [Fact]
    public async Task UnknownEdgePathsAreAnsweredHereNotBySampleWeb()
    {
        using var response = await proxy.Client.GetAsync("/edge/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(proxy.SampleWeb.Requests, r => r.Path.StartsWith("/edge/", StringComparison.Ordinal));
    }
}
