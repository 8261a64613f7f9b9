using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Proxy;

/// <summary>
/// What crosses the Proxy, checked at both ends with real processes: the emulator's request log shows what
/// Supabase received; the HTTP answers show what a browser would get.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ProxyBoundaryTests(SharedGatewayStack stack, ITestOutputHelper output)
{
    [Fact]
    public async Task SupabaseJsTrafficNeverCarriesBrowserCredentialsUpstreamOrUpstreamCookiesBack()
    {
        var after = await LastLoggedSeqAsync(stack);
        var result = await stack.RunNodeAsync("proxy-boundary.mjs", new { email = $"cora-{Guid.NewGuid():N}@example.com", password = "correct-horse" });
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        var outcome = result.Output;

        // The browser side: supabase-js worked, and no upstream Set-Cookie or CORS header reached it.
        Assert.True(outcome.GetProperty("signedIn").GetBoolean());
        Assert.Equal(JsonValueKind.Null, outcome.GetProperty("insertError").ValueKind);
        Assert.Empty(outcome.GetProperty("leakedHeaders").EnumerateArray());
        Assert.Equal(["sb-session"], outcome.GetProperty("cookieNames").EnumerateArray().Select(c => c.GetString()));

        // The Supabase side: what the Proxy sent for exactly this script's requests (the Proxy marks its requests with
        // X-Forwarded-Proto like any proxy hop; the SessionApi's own calls to Supabase are not the Proxy's).
        var logged = (await LoggedAsync(stack, after)).Where(r => r["headers"]!.AsObject().ContainsKey("x-forwarded-proto")).ToList();
        Assert.NotEmpty(logged);
        var placeholder = outcome.GetProperty("placeholderAccessToken").GetString()!;
        var userId = outcome.GetProperty("userId").GetString()!;
        foreach (var request in logged)
        {
            var headers = request["headers"]!.AsObject();
            var path = request["path"]!.GetValue<string>();
            Assert.False(headers.ContainsKey("cookie"), $"{path} received a Cookie header");
            Assert.Equal(LocalSupabaseKeys.AnonKey, headers["apikey"]?.GetValue<string>());
            var authorization = headers["authorization"]?.GetValue<string>() ?? "";
            Assert.DoesNotContain(placeholder, authorization);
            Assert.DoesNotContain("sb_publishable", authorization);
            Assert.DoesNotContain("forged-by-page", authorization);
        }
        // Signed-in REST calls carried a token minted for this user (not the client's).
        var rest = logged.Where(r => r["path"]!.GetValue<string>().StartsWith("/rest/v1/notes", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(rest);
        Assert.All(rest, r => Assert.Equal(userId, r["bearerClaims"]?["sub"]?.GetValue<string>()));
        // GoTrue learned the browser's address for its rate limits.
        Assert.Contains(logged, r => r["path"]!.GetValue<string>().StartsWith("/auth/v1/", StringComparison.Ordinal)
            && r["headers"]!["sb-forwarded-for"]?.GetValue<string>() == "127.0.0.1");
    }

    [Fact]
    public async Task CrossOriginWritesWithTheCookieAreRefusedSameOriginOnesPass()
    {
        var cookie = await SignUpAsync(stack, $"dan-{Guid.NewGuid():N}@example.com");
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = stack.ProxyUrl };

        HttpRequestMessage Insert(string origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/supabase/rest/v1/notes") { Content = JsonContent.Create(new { body = "from " + origin }) };
            request.Headers.Add("Cookie", "sb-session=" + cookie);
            request.Headers.Add("Origin", origin);
            return request;
        }

        using var foreign = await http.SendAsync(Insert("https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal("csrf_origin_mismatch", (await foreign.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());

        using var own = await http.SendAsync(Insert(stack.PublicOrigin));
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
    }

    [Fact]
    public async Task SessionApiDownMeans503ForCookiesWhileAnonymousReadsGoOn()
    {
        await using var own = await new TestStackBuilder().StartAsync();
        var cookie = await SignUpAsync(own, $"eve-{Guid.NewGuid():N}@example.com");
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = own.ProxyUrl };

        HttpRequestMessage Notes()
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/supabase/rest/v1/notes?select=*");
            request.Headers.Add("Cookie", "sb-session=" + cookie);
            return request;
        }

        using (var live = await http.SendAsync(Notes()))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        await own.SessionApi.StopAsync();
        // The Proxy learns of the kill when its event stream to the SessionApi breaks, a moment after the process
        // dies; until then its warm cache may still answer (correctly: nothing can be revoked by a dead SessionApi,
        // and the stream's end clears the cache). So: 200 from cache for at most a short while, then 503 — never
        // anything else, and never anonymous.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var down = await http.SendAsync(Notes());
            if (down.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Equal("session_store_unavailable", (await down.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());
                output.WriteLine($"503 after {watch.ElapsedMilliseconds} ms");
                break;
            }
            Assert.Equal(HttpStatusCode.OK, down.StatusCode);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "the Proxy kept serving from its cache 5 s after the SessionApi died");
            await Task.Delay(20);
        }
        using (var anonymous = await http.GetAsync("/supabase/rest/v1/posts?select=*"))
        {
            Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
        }

        // The session lives in Redis, not in the SessionApi process: it comes back with it.
        await own.SessionApi.StartAgainAsync();
        using var back = await http.SendAsync(Notes());
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    private static async Task<string> SignUpAsync(TestStack target, string email)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = target.ProxyUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/supabase/auth/v1/signup") { Content = JsonContent.Create(new { email, password = "correct-horse" }) };
        request.Headers.Add("Origin", target.PublicOrigin);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var setCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sb-session=", StringComparison.Ordinal));
        return setCookie.Split(';')[0]["sb-session=".Length..];
    }

    private static async Task<long> LastLoggedSeqAsync(TestStack target) =>
        (await LoggedAsync(target, 0)).Select(r => r["seq"]!.GetValue<long>()).DefaultIfEmpty(0).Max();

    private static async Task<List<JsonNode>> LoggedAsync(TestStack target, long after)
    {
        using var http = new HttpClient { BaseAddress = target.EmulatorUrl };
        var entries = await http.GetFromJsonAsync<JsonArray>($"/__emulator/requests?after={after}");
        return [.. entries!.OfType<JsonNode>()];
    }
}
