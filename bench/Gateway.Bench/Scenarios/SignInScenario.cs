using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.Bench.Load;
using Gateway.Bench.Report;
using Gateway.Bench.Stack;
using TestSupport;

namespace Gateway.Bench.Scenarios;

/// <summary>
/// Scenario 5: <c>POST /auth/v1/token?grant_type=password</c> straight to the emulator's GoTrue vs through the gateway
/// (which forwards it, hands the GoTrue session to the SessionApi, sets the cookie and answers a placeholder).
/// One connection per path, sequential, the two paths interleaved so drift hits both alike.
/// </summary>
public sealed class SignInScenario(BenchStack stack, BenchOptions options, Action<string> log)
{
    public const string Direct = "direct";
    public const string Gateway = "gateway";

    /// <summary>For attribution: the SessionApi's share of a gateway sign-in (POST /internal/v1/sessions, as the Proxy calls it).</summary>
    public const string SessionApiCreate = "sessionapi-create";

    /// <summary>For attribution: the rate-limit round trip the Proxy makes before forwarding a sign-in.</summary>
    public const string SessionApiRateLimit = "sessionapi-rate-limit";
    private const string Password = "bench-password-1234";

    public async Task RunAsync(BenchResults results, SessionFactory sessions, CancellationToken ct)
    {
        using var direct = Client(stack.Emulator.Url);
        using var gateway = Client(stack.EmulatorProxy.Url);
        var email = $"signin-{Guid.NewGuid():N}@bench.test";
        using (var signUp = await SendAsync(direct, "/auth/v1/signup", email, ct))
        {
            if (signUp.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"sign-up on the emulator answered {(int)signUp.StatusCode}: {await signUp.Content.ReadAsStringAsync(ct)}");
            }
        }

        var warmup = Math.Max(3, options.SignIns / 10);
        log($"5. sign-in: {warmup} warm-up + {options.SignIns} measured per path, sequential, interleaved");
        var samples = new Dictionary<string, List<double>> { [Direct] = [], [Gateway] = [], [SessionApiCreate] = [], [SessionApiRateLimit] = [] };
        var failures = new Dictionary<string, int> { [Direct] = 0, [Gateway] = 0, [SessionApiCreate] = 0, [SessionApiRateLimit] = 0 };
        var rateLimitKey = "bench:" + Guid.NewGuid().ToString("N");
        var userId = SessionFactory.NewUserId();
        for (var i = 0; i < warmup + options.SignIns; i++)
        {
            foreach (var (path, client, prefix) in new[] { (Direct, direct, ""), (Gateway, gateway, "/supabase") })
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await SendAsync(client, prefix + "/auth/v1/token?grant_type=password", email, ct);
                await response.Content.LoadIntoBufferAsync(ct);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var ok = response.StatusCode == HttpStatusCode.OK
                    && (path == Direct || response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("sb-session=", StringComparison.Ordinal)));
                if (i < warmup)
                {
                    continue;
                }
                if (ok)
                {
                    samples[path].Add(elapsed);
                }
                else
                {
                    failures[path]++;
                }
            }
            var createStarted = Stopwatch.GetTimestamp();
            await sessions.CreateAsync(userId, ct);
            if (i >= warmup)
            {
                samples[SessionApiCreate].Add(Stopwatch.GetElapsedTime(createStarted).TotalMilliseconds);
            }
            var limitStarted = Stopwatch.GetTimestamp();
            await sessions.RateLimitAsync(rateLimitKey, ct);
            if (i >= warmup)
            {
                samples[SessionApiRateLimit].Add(Stopwatch.GetElapsedTime(limitStarted).TotalMilliseconds);
            }
        }

        foreach (var path in new[] { Direct, Gateway, SessionApiCreate, SessionApiRateLimit })
        {
            var result = new SignInResult(path, failures[path], LatencyStats.FromSamples(samples[path]));
            results.SignIn.Add(result);
            log($"5. sign-in {path}: p50 {result.Latency.P50Ms:0.00} ms, p99 {result.Latency.P99Ms:0.00} ms, failures {result.Failures}");
        }
    }

    private static HttpClient Client(Uri baseAddress) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 1, UseCookies = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string email, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent($$"""{"email":"{{email}}","password":"{{Password}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", LocalSupabaseKeys.AnonKey);
        request.Headers.Add("Authorization", "Bearer " + LocalSupabaseKeys.AnonKey);
        return client.SendAsync(request, ct);
    }
}
