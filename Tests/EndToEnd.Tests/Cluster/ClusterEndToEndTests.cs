using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Cluster;

/// <summary>
/// The user-visible flows on a Redis Cluster with two SessionApi and two Proxy instances (<see cref="ClusterGatewayStack"/>):
/// supabase-js's journey with every sign-out scope, rate-limit budgets shared by both Proxies, the user webhook ending
/// sessions created by either instance, Realtime revocation across instances, and single-flight GoTrue refresh across
/// SessionApi instances.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterEndToEndTests(ClusterGatewayStack cluster, ITestOutputHelper output)
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private GatewayStack Stack => cluster.Stack;

    [Fact]
    public async Task SupabaseJsJourneyWithEverySignOutScopeWorksOnTheCluster()
    {
        var email = $"journey-{Guid.NewGuid():N}@example.com";
        var result = await Stack.RunNodeAsync("proxy-supabase-js.mjs", new { email, password = "correct-horse", otherEmail = $"other-{Guid.NewGuid():N}@example.com" });
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        var steps = result.Output.GetProperty("steps");
        Assert.True(steps.GetProperty("signUp").GetProperty("hasSession").GetBoolean(), "signUp gave no session");
        Assert.True(steps.GetProperty("signIn").GetProperty("hasSession").GetBoolean(), "signInWithPassword gave no session");
        Assert.Equal(email, steps.GetProperty("getUser").GetProperty("email").GetString());
        Assert.Equal(["alice private note"], steps.GetProperty("selectNotes").GetProperty("bodies").EnumerateArray().Select(b => b.GetString()));
        Assert.True(steps.GetProperty("refresh").GetProperty("hasSession").GetBoolean(), "refreshSession failed");
        var others = steps.GetProperty("signOutOthers");
        Assert.False(others.GetProperty("otherStillValid").GetBoolean(), "scope=others left the other session alive");
        Assert.True(others.GetProperty("selfStillValid").GetBoolean(), "scope=others ended the current session");
        Assert.Equal(401, steps.GetProperty("signOutLocal").GetProperty("selfStatus").GetInt32());
        var global = steps.GetProperty("signOutGlobal");
        Assert.Equal(401, global.GetProperty("selfStatus").GetInt32());
        Assert.True(global.GetProperty("otherUserUnaffected").GetBoolean());
    }

    [Fact]
    public async Task SignOutEverywhereEndsSessionsCreatedByBothInstancesAtBothProxies()
    {
        var email = $"everywhere-{Guid.NewGuid():N}@example.com";
        var cookies = new List<string> { await AuthAsync(Stack.Proxy, Stack.PublicOrigin, "/supabase/auth/v1/signup", email) };
        for (var i = 0; i < 5; i++)
        {
            var (proxy, origin) = i % 2 == 0 ? (cluster.SecondProxy, cluster.SecondProxyOrigin) : (Stack.Proxy, Stack.PublicOrigin);
            cookies.Add(await AuthAsync(proxy, origin, "/supabase/auth/v1/token?grant_type=password", email));
        }
        foreach (var cookie in cookies)
        {
            Assert.Equal(HttpStatusCode.OK, await EdgeSessionStatusAsync(Stack.Proxy, cookie));
            Assert.Equal(HttpStatusCode.OK, await EdgeSessionStatusAsync(cluster.SecondProxy, cookie));
        }

        using var signOut = new HttpRequestMessage(HttpMethod.Delete, new Uri(cluster.SecondProxy.Url, "/edge/v1/sessions?scope=all"));
        signOut.Headers.Add("Cookie", "sb-session=" + cookies[^1]);
        signOut.Headers.Add("Origin", cluster.SecondProxyOrigin);
        using var signedOut = await Http.SendAsync(signOut);
        Assert.True(signedOut.IsSuccessStatusCode, $"{(int)signedOut.StatusCode} {await signedOut.Content.ReadAsStringAsync()}");
        var clock = Stopwatch.StartNew();
        foreach (var cookie in cookies)
        {
            foreach (var proxy in new[] { Stack.Proxy, cluster.SecondProxy })
            {
                while (await EdgeSessionStatusAsync(proxy, cookie) != HttpStatusCode.Unauthorized)
                {
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{proxy.Url} still serves a revoked session");
                    await Task.Delay(20);
                }
            }
        }
        output.WriteLine($"sign out everywhere: {cookies.Count} sessions from two SessionApis refused at both Proxies after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task OtpBudgetIsSharedByBothProxiesAndInstances()
    {
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < ClusterGatewayStack.OtpBudget + 2; attempt++)
        {
            var (proxy, origin) = attempt % 2 == 0 ? (Stack.Proxy, Stack.PublicOrigin) : (cluster.SecondProxy, cluster.SecondProxyOrigin);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(proxy.Url, "/supabase/auth/v1/recover"))
            {
                Content = JsonContent.Create(new { email = $"budget-{Guid.NewGuid():N}@example.com" }),
            };
            request.Headers.Add("Origin", origin);
            using var response = await Http.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
                Assert.Equal("over_request_rate_limit", body["error_code"]!.GetValue<string>());
                Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, $"Retry-After: {response.Headers.RetryAfter}");
            }
        }
        output.WriteLine("recover attempts alternating between the Proxies: " + string.Join(", ", statuses.Select(s => (int)s)));
        Assert.All(statuses.Take(ClusterGatewayStack.OtpBudget), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.All(statuses.Skip(ClusterGatewayStack.OtpBudget), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
    }

    [Fact]
    public async Task ABanThroughTheWebhookEndsSessionsOfBothInstancesAtBothProxies()
    {
        var email = $"banned-{Guid.NewGuid():N}@webhook.test";
        var first = await AuthAsync(Stack.Proxy, Stack.PublicOrigin, "/supabase/auth/v1/signup", email);
        var second = await AuthAsync(cluster.SecondProxy, cluster.SecondProxyOrigin, "/supabase/auth/v1/token?grant_type=password", email);
        var userId = (await EdgeSessionAsync(Stack.Proxy, first))!["user"]!["id"]!.GetValue<string>();
        foreach (var cookie in new[] { first, second })
        {
            Assert.Equal(HttpStatusCode.OK, await EdgeSessionStatusAsync(Stack.Proxy, cookie));
            Assert.Equal(HttpStatusCode.OK, await EdgeSessionStatusAsync(cluster.SecondProxy, cookie));
        }

        var clock = Stopwatch.StartNew();
        using var ban = new HttpRequestMessage(HttpMethod.Put, new Uri(Stack.EmulatorUrl, $"/auth/v1/admin/users/{userId}")) { Content = JsonContent.Create(new { ban_duration = "24h" }) };
        ban.Headers.Add("apikey", LocalSupabaseKeys.ServiceRoleKey);
        ban.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LocalSupabaseKeys.ServiceRoleKey);
        using (var banned = await Http.SendAsync(ban))
        {
            Assert.Equal(HttpStatusCode.OK, banned.StatusCode);
        }
        foreach (var cookie in new[] { first, second })
        {
            foreach (var proxy in new[] { Stack.Proxy, cluster.SecondProxy })
            {
                while (await EdgeSessionStatusAsync(proxy, cookie) != HttpStatusCode.Unauthorized)
                {
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"{proxy.Url} still serves a banned user's session");
                    await Task.Delay(20);
                }
            }
        }
        output.WriteLine($"ban -> both sessions refused at both Proxies after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task RevokingThroughOneInstanceClosesTheRealtimeSocketHeldThroughTheOther()
    {
        var result = await Stack.RunNodeAsync("realtime-revocation.mjs", new
        {
            email = $"realtime-{Guid.NewGuid():N}@example.com",
            revokeProxyUrl = Stack.ProxyUrl.ToString().TrimEnd('/'),
            revokeOrigin = Stack.PublicOrigin,
            socketProxyUrl = cluster.SecondProxy.Url.ToString().TrimEnd('/'),
            socketOrigin = cluster.SecondProxyOrigin,
        });
        Assert.True(result.ExitCode == 0, result.ToString());
        var outcome = result.Output;
        var latency = outcome.GetProperty("latencyFromRequestMs");
        output.WriteLine($"revocation at Proxy 1/SessionApi 1 -> socket on Proxy 2/SessionApi 2 closed after {latency} ms");
        Assert.Equal(4001, outcome.GetProperty("closeCode").GetInt32());
        Assert.Equal("session revoked", outcome.GetProperty("closeReason").GetString());
        Assert.True(latency.GetInt32() < 1000, result.ToString());
        Assert.Contains(outcome.GetProperty("reconnectErrors").EnumerateArray(), e => e.GetString()!.Contains("401", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConcurrentResolvesAtBothSessionApisSpendTheGoTrueRefreshTokenOnce()
    {
        var cookie = await AuthAsync(Stack.Proxy, Stack.PublicOrigin, "/supabase/auth/v1/signup", $"refresh-{Guid.NewGuid():N}@example.com");
        var signedUp = Stopwatch.StartNew();
        var first = await ResolveAsync(Stack.SessionApi, cookie);
        var sessionId = (string)first["session"]!["id"]!;
        var goTrueSessionId = (string)first["session"]!["goTrueSessionId"]!;

        // Due once less than half the token's lifetime is left.
        var due = TimeSpan.FromSeconds(ClusterGatewayStack.GoTrueTokenLifetimeSeconds / 2 + 1);
        await Task.Delay(due - signedUp.Elapsed);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resolves = Enumerable.Range(0, 12).Select(async i =>
        {
            await start.Task;
            return await ResolveAsync(i % 2 == 0 ? Stack.SessionApi : cluster.SecondSessionApi, cookie);
        }).ToList();
        start.SetResult();
        var answers = await Task.WhenAll(resolves);

        Assert.All(answers, a => Assert.Equal(sessionId, (string?)a["session"]!["id"]));
        using var emulator = new HttpClient { BaseAddress = Stack.EmulatorUrl };
        var spends = (await emulator.GetFromJsonAsync<JsonObject>($"/__emulator/refresh-spends?session_id={goTrueSessionId}"))!;
        output.WriteLine($"12 concurrent resolves over 2 SessionApis on the cluster: GoTrue refreshes {spends["refreshes"]}, rejected {spends["rejected"]}");
        Assert.Equal(1, (int)spends["refreshes"]!);
        Assert.Equal(0, (int)spends["rejected"]!);
        Assert.Equal(HttpStatusCode.OK, await EdgeSessionStatusAsync(cluster.SecondProxy, cookie));
    }

    private async Task<JsonObject> ResolveAsync(ServiceProcess sessionApi, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(sessionApi.Url, "/internal/v1/sessions/resolve"))
        {
            Content = JsonContent.Create(new { cookie, client = new { ip = "203.0.113.7", userAgent = "cluster-test" } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Stack.SessionApiCallerKey);
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"resolve at {sessionApi.Url}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    private static async Task<string> AuthAsync(ServiceProcess proxy, string origin, string path, string email)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(proxy.Url, path)) { Content = JsonContent.Create(new { email, password = "correct-horse" }) };
        request.Headers.Add("Origin", origin);
        using var response = await Http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sb-session=", StringComparison.Ordinal)).Split(';')[0]["sb-session=".Length..];
    }

    private static async Task<HttpStatusCode> EdgeSessionStatusAsync(ServiceProcess proxy, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(proxy.Url, "/edge/v1/session"));
        request.Headers.Add("Cookie", "sb-session=" + cookie);
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<JsonObject?> EdgeSessionAsync(ServiceProcess proxy, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(proxy.Url, "/edge/v1/session"));
        request.Headers.Add("Cookie", "sb-session=" + cookie);
        using var response = await Http.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<JsonObject>() : null;
    }
}
