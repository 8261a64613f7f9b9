using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.AuthFlows;

/// <summary>
/// Server-side refresh of the GoTrue session behind a gateway session, with two SessionApi instances on one Redis
/// resolving the same cookie at the same moment: GoTrue's rotating refresh token is spent once per refresh (the
/// emulator counts), every caller gets the refreshed session, and GoTrue sees the end user's IP.
/// </summary>
public sealed class SingleFlightRefreshTests(ITestOutputHelper output) : IAsyncLifetime
{
    // GoTrue tokens live 16 s, so the SessionApi refreshes once 8 s remain (its margin is capped at half the lifetime).
    private const int TokenLifetimeSeconds = 16;
    private const int ConcurrentResolves = 12;
    private const string EndUserIp = "203.0.113.9";

    private TestStack _stack = null!;

    public async Task InitializeAsync() => _stack = await SharedStacks.AuthFlowTopology().WithGoTrueTokenLifetime(TokenLifetimeSeconds).WithSessionApis(2).WithProxies(2).StartAsync();

    public async Task DisposeAsync() => await _stack.DisposeAsync();

    [Fact]
    public async Task TwoInstancesRefreshingOneSessionConcurrentlySpendTheRefreshTokenOnce()
    {
        var cookie = await SignUpThroughTheProxyAsync($"refresh-{Guid.NewGuid():N}@example.com");
        var signedUp = Stopwatch.StartNew();
        var first = await ResolveAsync(_stack.SessionApis[0], cookie);
        var sessionId = (string)first["session"]!["id"]!;
        var goTrueSessionId = (string)first["session"]!["goTrueSessionId"]!;
        Assert.Equal(0, (await SpendsAsync(goTrueSessionId)).Refreshes); // not due yet: nothing spent

        var since = signedUp;
        for (var round = 1; round <= 2; round++)
        {
            await WaitUntilDueAsync(since);
            var after = await LastTokenRequestSeqAsync();

            var (answers, latencies) = await ResolveConcurrentlyAsync(cookie);
            since = Stopwatch.StartNew();

            Assert.All(answers, a => Assert.Equal(sessionId, (string?)a["session"]!["id"]));
            var spends = await SpendsAsync(goTrueSessionId);
            Assert.Equal(round, spends.Refreshes);
            Assert.Equal(round, spends.Rotations);
            Assert.Equal(0, spends.Rejected);
            var refreshes = (await _stack.EmulatorHttp.GetFromJsonAsync<JsonArray>($"/__emulator/requests?path=/auth/v1/token&after={after}"))!
                .Where(r => ((string?)r!["query"])!.Contains("grant_type=refresh_token", StringComparison.Ordinal)).ToList();
            var refresh = Assert.Single(refreshes);
            Assert.Equal(EndUserIp, (string?)refresh!["headers"]!["sb-forwarded-for"]);

            latencies.Sort();
            output.WriteLine($"round {round}: {ConcurrentResolves} concurrent resolves over 2 SessionApis -> {refreshes.Count} refresh at GoTrue " +
                $"(spent {spends.Refreshes} in total, {spends.Rejected} rejected); resolve latency min {latencies[0]} ms, " +
                $"median {latencies[latencies.Count / 2]} ms, max {latencies[^1]} ms; Sb-Forwarded-For {refresh["headers"]!["sb-forwarded-for"]}");
        }

        // Still one live session, whichever instance or Proxy asks.
        foreach (var proxy in _stack.Proxies)
        {
            Assert.Equal(HttpStatusCode.OK, await WarmEdgeSessionStatusAsync(proxy, cookie));
        }
    }

    [Fact]
    public async Task ARefreshGoTrueRefusesEndsTheGatewaySessionOnEveryInstance()
    {
        var email = $"refused-{Guid.NewGuid():N}@example.com";
        var cookie = await SignUpThroughTheProxyAsync(email);
        var signedUp = Stopwatch.StartNew();
        for (var i = 0; i < _stack.Proxies.Count; i++)
        {
            var status = await WarmEdgeSessionStatusAsync(_stack.Proxies[i], cookie);
            Assert.True(status == HttpStatusCode.OK, $"{status}\n{_stack.Proxies[i].RecentOutput}\n{_stack.SessionApis[i].RecentOutput}");
        }

        // The user signs out everywhere at GoTrue itself (another client): the gateway's refresh token dies with it.
        using (var signIn = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/token?grant_type=password") { Content = JsonContent.Create(new { email, password = "correct-horse-battery" }) })
        {
            signIn.Headers.Add("apikey", TestSupport.LocalSupabaseKeys.AnonKey);
            using var answer = await _stack.EmulatorHttp.SendAsync(signIn);
            var token = (string)(await answer.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!;
            using var logout = new HttpRequestMessage(HttpMethod.Post, "/auth/v1/logout?scope=global");
            logout.Headers.Add("apikey", TestSupport.LocalSupabaseKeys.AnonKey);
            logout.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.NoContent, (await _stack.EmulatorHttp.SendAsync(logout)).StatusCode);
        }

        await WaitUntilDueAsync(signedUp);
        var refusedAt = Stopwatch.StartNew();
        HttpStatusCode resolved;
        do
        {
            // Due now (or shortly, if a slow warm-up let a refresh through before the sign-out): resolve until GoTrue refuses.
            using var resolve = new HttpRequestMessage(HttpMethod.Post, new Uri(_stack.SessionApis[1].Url, "/internal/v1/sessions/resolve"))
            {
                Content = JsonContent.Create(new { cookie, client = new { ip = EndUserIp, userAgent = "authflows-test" } }),
            };
            resolve.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _stack.CallerKey);
            refusedAt.Restart();
            resolved = (await Http.SendAsync(resolve)).StatusCode;
            Assert.True(resolved is HttpStatusCode.OK or HttpStatusCode.NotFound, $"resolve answered {resolved}");
            if (resolved == HttpStatusCode.OK)
            {
                Assert.True(signedUp.Elapsed < TimeSpan.FromSeconds(TokenLifetimeSeconds * 3), "GoTrue never refused the refresh");
                await Task.Delay(500);
            }
        }
        while (resolved != HttpStatusCode.NotFound);

        // The revocation reaches both Proxies (their cached tokens would otherwise serve the session for minutes).
        foreach (var proxy in _stack.Proxies)
        {
            while (await EdgeSessionStatusAsync(proxy, cookie) != HttpStatusCode.Unauthorized)
            {
                Assert.True(refusedAt.Elapsed < TimeSpan.FromSeconds(10), $"{proxy.Url} still serves the session");
                await Task.Delay(20);
            }
        }
        output.WriteLine($"refused refresh at SessionApi 2 -> session gone at both Proxies after {refusedAt.ElapsedMilliseconds} ms");
    }

    /// <summary>A cold process on a busy machine can miss the Proxy's 5 s SessionApi timeout once (503, fail closed): retry that only.</summary>
    private static async Task<HttpStatusCode> WarmEdgeSessionStatusAsync(TestSupport.ServiceProcess proxy, string cookie)
    {
        var status = await EdgeSessionStatusAsync(proxy, cookie);
        for (var tries = 0; status == HttpStatusCode.ServiceUnavailable && tries < 10; tries++)
        {
            await Task.Delay(500);
            status = await EdgeSessionStatusAsync(proxy, cookie);
        }
        return status;
    }

    private static async Task<HttpStatusCode> EdgeSessionStatusAsync(TestSupport.ServiceProcess proxy, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(proxy.Url, "/edge/v1/session"));
        request.Headers.Add("Cookie", $"sb-session={cookie}");
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private async Task<string> SignUpThroughTheProxyAsync(string email)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_stack.ProxyUrl, "/supabase/auth/v1/signup"))
        {
            Content = JsonContent.Create(new { email, password = "correct-horse-battery" }),
        };
        request.Headers.Add("Origin", _stack.PublicOrigin);
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var setCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sb-session=", StringComparison.Ordinal));
        return setCookie["sb-session=".Length..].Split(';')[0];
    }

    private async Task<JsonObject> ResolveAsync(TestSupport.ServiceProcess sessionApi, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(sessionApi.Url, "/internal/v1/sessions/resolve"))
        {
            // What the Proxy sends: the cookie and the browser's address as it saw it.
            Content = JsonContent.Create(new { cookie, client = new { ip = EndUserIp, userAgent = "authflows-test" } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _stack.CallerKey);
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"resolve at {sessionApi.Url}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>All resolves released at once, alternating between the two SessionApi instances.</summary>
    private async Task<(List<JsonObject> Answers, List<long> Latencies)> ResolveConcurrentlyAsync(string cookie)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, ConcurrentResolves).Select(async i =>
        {
            await start.Task;
            var watch = Stopwatch.StartNew();
            var answer = await ResolveAsync(_stack.SessionApis[i % 2], cookie);
            return (answer, watch.ElapsedMilliseconds);
        }).ToList();
        start.SetResult();
        var results = await Task.WhenAll(calls);
        return (results.Select(r => r.answer).ToList(), results.Select(r => r.ElapsedMilliseconds).ToList());
    }

    private static async Task WaitUntilDueAsync(Stopwatch sinceIssued)
    {
        var due = TimeSpan.FromSeconds(TokenLifetimeSeconds / 2 + 1);
        if (sinceIssued.Elapsed < due)
        {
            await Task.Delay(due - sinceIssued.Elapsed);
        }
    }

    private async Task<long> LastTokenRequestSeqAsync() =>
        (await _stack.EmulatorHttp.GetFromJsonAsync<JsonArray>("/__emulator/requests?path=/auth/v1/token"))!
            .Select(r => (long)r!["seq"]!).DefaultIfEmpty(0).Max();

    private async Task<(int Refreshes, int Rotations, int Rejected)> SpendsAsync(string goTrueSessionId)
    {
        var spends = (await _stack.EmulatorHttp.GetFromJsonAsync<JsonObject>($"/__emulator/refresh-spends?session_id={goTrueSessionId}"))!;
        return ((int)spends["refreshes"]!, (int)spends["rotations"]!, (int)spends["rejected"]!);
    }
}
