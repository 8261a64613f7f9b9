using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Proxy.Tests.Support;

namespace Proxy.Tests.Edge;

/// <summary>/edge/v1/session(s): the user's own sessions, without secrets.</summary>
public sealed class EdgeEndpointTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    [Fact]
    public async Task NoSessionIsA401Json()
    {
        using var response = await proxy.Client.GetAsync("/edge/v1/session");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("session_missing", (await response.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task CurrentSessionIsDescribedWithoutSecrets()
    {
        var (cookie, _, _) = await proxy.SignInAsync("edge@example.com");
        using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/edge/v1/session", cookie));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonNode.Parse(text)!;
        Assert.Equal(proxy.SessionApi.Find(cookie)!.Id, body["id"]!.GetValue<string>());
        Assert.Equal("edge@example.com", body["user"]!["email"]!.GetValue<string>());
        Assert.Equal("aal1", body["aal"]!.GetValue<string>());
        Assert.NotNull(body["expires_at"]);
        Assert.NotNull(body["last_seen_at"]);
        Assert.DoesNotContain(cookie, text);
        Assert.DoesNotContain("minted-", text);
        Assert.DoesNotContain("assertion-", text);
    }

    [Fact]
    public async Task SessionListMarksTheCurrentOne()
    {
        var (first, _, _) = await proxy.SignInAsync("list@example.com");
        var (second, _, _) = await proxy.SignInAsync("list@example.com");
        using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/edge/v1/sessions", second));
        var sessions = (await response.Content.ReadFromJsonAsync<JsonObject>())!["sessions"]!.AsArray();
        var current = Assert.Single(sessions, s => s!["current"]!.GetValue<bool>());
        Assert.Equal(proxy.SessionApi.Find(second)!.Id, current!["id"]!.GetValue<string>());
        Assert.Contains(sessions, s => s!["id"]!.GetValue<string>() == proxy.SessionApi.Find(first)!.Id);
        Assert.All(sessions, s => Assert.Equal("127.0.0.1", s!["ip"]!.GetValue<string>()));
    }

    [Fact]
    public async Task RevokingOneSessionChecksTheIdAndTheOwner()
    {
        var (mine, _, _) = await proxy.SignInAsync();
        var (other, _, _) = await proxy.SignInAsync();
        var stranger = proxy.SessionApi.AddSession(Guid.NewGuid().ToString(), "stranger@example.com");

        using var malformed = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Delete, "/edge/v1/sessions/1%27%20or%201=1", mine));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        using var notMine = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Delete, $"/edge/v1/sessions/{stranger.View.Id}", mine));
        Assert.Equal(HttpStatusCode.NotFound, notMine.StatusCode);
        Assert.NotNull(proxy.SessionApi.Find(stranger.Cookie));

        var otherId = proxy.SessionApi.Find(other)!.Id;
        using var revoked = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Delete, $"/edge/v1/sessions/{otherId}", mine));
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Null(proxy.SessionApi.Find(other));
        Assert.NotNull(proxy.SessionApi.Find(mine));
    }

    [Fact]
    public async Task SignOutEverywhereElseKeepsThisSession()
    {
        var (mine, _, _) = await proxy.SignInAsync();
        var (other, _, _) = await proxy.SignInAsync();
        using var bad = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Delete, "/edge/v1/sessions?scope=mine", mine));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Delete, "/edge/v1/sessions", mine));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(proxy.SessionApi.Find(other));
        Assert.NotNull(proxy.SessionApi.Find(mine));
        Assert.Null(ProxyHarness.SetCookieHeader(response));

        using var all = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Delete, "/edge/v1/sessions?scope=all", mine));
        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        Assert.Null(proxy.SessionApi.Find(mine));
        Assert.Equal("", ProxyHarness.SetCookieValue(all));
    }
}
