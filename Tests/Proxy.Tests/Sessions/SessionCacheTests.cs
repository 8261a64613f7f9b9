using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Proxy.Tests.Support;

namespace Proxy.Tests.Sessions;

/// <summary>The hot path: warm requests make no network call; revocation still reaches them at once; failures fail closed.</summary>
public sealed class SessionCacheTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        proxy.SessionApi.Failing = false;
        await proxy.WaitForStreamAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task WarmRequestsMakeNoSessionApiCall()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        var resolves = proxy.SessionApi.Resolves;
        for (var i = 0; i < 20; i++)
        {
            using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/supabase/rest/v1/notes", cookie));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(resolves, proxy.SessionApi.Resolves);
    }

    [Fact]
    public async Task ARevokedEventEvictsAtOnce()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        var view = proxy.SessionApi.Find(cookie)!;
        using (var warm = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/supabase/rest/v1/notes", cookie)))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }
        var revoked = proxy.Cache.GetRevocationToken(view.Id);

        proxy.SessionApi.EndQuietly(view.Id);
        await proxy.SessionApi.PublishAsync(new SessionEvent("revoked", view.UserId, [view.Id], "revoked elsewhere"));
        await WaitAsync(() => revoked.IsCancellationRequested);

        using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/supabase/rest/v1/notes", cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AnUpdatedEventMakesTheNextRequestMintAgain()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        var view = proxy.SessionApi.Find(cookie)!;
        var before = (await proxy.Cache.LookupAsync(cookie, CancellationToken.None)).Live!.AccessToken;
        await proxy.SessionApi.PublishAsync(new SessionEvent("updated", view.UserId, [view.Id], "user changed"));

        var deadline = DateTime.UtcNow.AddSeconds(5);
        string after;
        do
        {
            await Task.Delay(10);
            after = (await proxy.Cache.LookupAsync(cookie, CancellationToken.None)).Live!.AccessToken;
        }
        while (after == before && DateTime.UtcNow < deadline);
        Assert.NotEqual(before, after);
    }

    [Fact]
    public async Task WithoutTheEventStreamEveryRequestIsCheckedWithTheSessionApi()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        proxy.SessionApi.RefuseEvents = true;
        try
        {
            proxy.SessionApi.DropStreams();
            await WaitAsync(() => !proxy.Cache.StreamLive);
            var resolves = proxy.SessionApi.Resolves;
            for (var i = 0; i < 5; i++)
            {
                using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/supabase/rest/v1/notes", cookie));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
            Assert.Equal(resolves + 5, proxy.SessionApi.Resolves);
        }
        finally
        {
            proxy.SessionApi.RefuseEvents = false;
        }
        await proxy.WaitForStreamAsync();
    }

    [Fact]
    public async Task SessionApiDownFailsClosedForCookiesButAnonymousTrafficStillFlows()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        proxy.SessionApi.Failing = true;
        proxy.SessionApi.DropStreams();
        await WaitAsync(() => !proxy.Cache.StreamLive);
        try
        {
            using var api = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/supabase/rest/v1/notes", cookie));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
            Assert.Equal("session_store_unavailable", (await api.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());

            using var edge = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/edge/v1/session", cookie));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, edge.StatusCode);

            using var page = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, "/account", cookie));
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var forwarded = proxy.SampleWeb.Requests.Last(r => r.Path == "/account");
            Assert.Equal("unavailable", forwarded.Header("x-gateway-session"));
            Assert.Null(forwarded.Header("x-gateway-identity"));

            using var anonymous = await proxy.Client.GetAsync("/supabase/rest/v1/posts");
            Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
            Assert.Equal("Bearer " + ProxyHarness.AnonKey, proxy.Supabase.RequestsTo("/rest/v1/posts").Last().Header("authorization"));
        }
        finally
        {
            proxy.SessionApi.Failing = false;
        }
        await proxy.WaitForStreamAsync();
    }

    [Fact]
    public async Task ConcurrentColdRequestsShareOneResolve()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        proxy.SessionApi.DropStreams(); // forget everything cached
        await WaitAsync(() => !proxy.Cache.StreamLive);
        await proxy.WaitForStreamAsync();
        var resolves = proxy.SessionApi.Resolves;
        var lookups = Enumerable.Range(0, 16).Select(_ => proxy.Cache.LookupAsync(cookie, CancellationToken.None).AsTask());
        var results = await Task.WhenAll(lookups);
        Assert.All(results, r => Assert.Equal(Proxy.Sessions.SessionState.Live, r.State));
        Assert.Equal(resolves + 1, proxy.SessionApi.Resolves);
    }

    [Fact]
    public async Task ShortLivedTokensAreRenewedBeforeTheyExpire()
    {
        proxy.SessionApi.TokenLifetime = TimeSpan.FromSeconds(2);
        try
        {
            var (cookie, _, _) = await proxy.SignInAsync();
            var first = (await proxy.Cache.LookupAsync(cookie, CancellationToken.None)).Live!;
            await Task.Delay(TimeSpan.FromSeconds(1.7)); // inside the renewal margin (20 % of 2 s)
            var second = (await proxy.Cache.LookupAsync(cookie, CancellationToken.None)).Live!;
            Assert.NotEqual(first.AccessToken, second.AccessToken);
            Assert.True(second.TokenExpiresAt > DateTimeOffset.UtcNow.AddSeconds(1));
        }
        finally
        {
            proxy.SessionApi.TokenLifetime = TimeSpan.FromMinutes(5);
        }
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 5 s");
            await Task.Delay(10);
        }
    }
}
