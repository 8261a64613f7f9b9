using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gateway.Bench.Load;
using Gateway.Bench.Report;
using Gateway.Bench.Stack;
using TestSupport;

namespace Gateway.Bench.Scenarios;

/// <summary>
/// Issue 21's row: the same SessionApi + Proxy pair against one redis-server and against a 3-master/3-replica Redis
/// Cluster (both with appendfsync always, the cluster confirming sign-ins on a replica with WAIT), in the same run,
/// measurements interleaved so drift hits both alike. Sign-in = password grant through the Proxy (GoTrue is the
/// emulator) and the SessionApi's create alone; warm path = GET /edge/v1/session with a cookie through the Proxy
/// (served from its session cache: no Redis round trip); uncached = the SessionApi's resolve, what each Proxy request
/// costs while its cache is cold or not trusted. Prints its table and writes cluster.json next to latest.json.
/// </summary>
public sealed class ClusterScenario(BenchStack stack, BenchOptions options, Action<string> log)
{
    private const string Password = "bench-password-1234";
    private const int Concurrency = 16;

    public sealed record Row(string Redis, string Measure, int Connections, double RequestsPerSecond, LatencyStats Latency, int Failures);

    public async Task RunAsync(BenchResults results, CancellationToken ct)
    {
        log("cluster: starting a redis-server and a 3-master/3-replica Redis Cluster, a SessionApi and a Proxy on each");
        await using var single = await RedisServer.StartAsync();
        await using var cluster = await RedisCluster.StartAsync();
        var targets = new List<Target>();
        try
        {
            targets.Add(await Target.StartAsync("single node", single.ConnectionString, stack.Emulator.Url));
            targets.Add(await Target.StartAsync("cluster 3+3", cluster.ConnectionString, stack.Emulator.Url));
            var rows = await MeasureAsync(targets, ct);
            var table = Table(rows);
            Console.WriteLine();
            Console.Write(table);
            results.Notes.Add("Redis Cluster vs single node (cluster.json): " + string.Join("; ",
                rows.Select(r => $"{r.Redis} {r.Measure} c{r.Connections} p50 {r.Latency.P50Ms:0.00} ms p99 {r.Latency.P99Ms:0.00} ms" +
                    (r.RequestsPerSecond > 0 ? $" {r.RequestsPerSecond:N0}/s" : ""))));
            Directory.CreateDirectory(options.OutputDirectory);
            await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, options.Smoke ? "smoke-cluster.json" : "cluster.json"),
                JsonSerializer.Serialize(new { machine = results.Machine, rows }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }),
                CancellationToken.None);
        }
        finally
        {
            foreach (var target in targets)
            {
                await target.DisposeAsync();
            }
        }
    }

    private async Task<List<Row>> MeasureAsync(List<Target> targets, CancellationToken ct)
    {
        var rows = new List<Row>();
        var signIns = Math.Max(10, options.SignIns / 2);
        log($"cluster: {signIns} sequential sign-ins and SessionApi creates per Redis, interleaved");
        var signIn = targets.ToDictionary(t => t, _ => (Samples: new List<double>(), Failures: 0));
        var create = targets.ToDictionary(t => t, _ => new List<double>());
        foreach (var target in targets)
        {
            await target.SignUpAsync(ct);
        }
        for (var i = 0; i < signIns + 3; i++)
        {
            foreach (var target in targets)
            {
                var started = Stopwatch.GetTimestamp();
                var ok = await target.SignInAsync(ct);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                started = Stopwatch.GetTimestamp();
                await target.Sessions.CreateAsync(target.UserId, ct);
                var created = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (i < 3)
                {
                    continue; // warm-up
                }
                if (ok)
                {
                    signIn[target].Samples.Add(elapsed);
                }
                else
                {
                    signIn[target] = (signIn[target].Samples, signIn[target].Failures + 1);
                }
                create[target].Add(created);
            }
        }
        foreach (var target in targets)
        {
            rows.Add(new(target.Name, "sign-in through the Proxy", 1, 0, LatencyStats.FromSamples(signIn[target].Samples), signIn[target].Failures));
            rows.Add(new(target.Name, "SessionApi create (store)", 1, 0, LatencyStats.FromSamples(create[target]), 0));
        }

        log($"cluster: warm path and uncached resolve, {Concurrency} connections, {options.Duration.TotalSeconds:0} s each per Redis, interleaved");
        foreach (var measure in new[] { "warm path GET /edge/v1/session", "SessionApi resolve (uncached)" })
        {
            foreach (var target in targets)
            {
                var session = await target.Sessions.CreateAsync(SessionFactory.NewUserId(), ct);
                Func<HttpClient, Task<bool>> call = measure.StartsWith("warm", StringComparison.Ordinal)
                    ? http => target.EdgeSessionAsync(http, session, ct)
                    : http => target.ResolveAsync(http, session, ct);
                await ClosedLoopAsync(call, target, options.Warmup, ct); // results discarded
                var (rps, latency, failures) = await ClosedLoopAsync(call, target, options.Duration, ct);
                rows.Add(new(target.Name, measure, Concurrency, rps, latency, failures));
            }
        }
        return rows;
    }

    /// <summary><see cref="Concurrency"/> workers, each sending the next request when the last one answered, for <paramref name="duration"/>.</summary>
    private static async Task<(double Rps, LatencyStats Latency, int Failures)> ClosedLoopAsync(Func<HttpClient, Task<bool>> call, Target target,
        TimeSpan duration, CancellationToken ct)
    {
        var samples = new List<double>[Concurrency];
        var failures = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async worker =>
        {
            var mine = samples[worker] = [];
            using var http = target.NewClient();
            while (clock.Elapsed < duration && !ct.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                if (await call(http))
                {
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));
        var all = samples.SelectMany(s => s).ToList();
        return (all.Count / clock.Elapsed.TotalSeconds, LatencyStats.FromSamples(all), failures);
    }

    private static string Table(List<Row> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("Redis Cluster (3 masters + 3 replicas; creates wait for a replica) vs single redis-server, same run (appendfsync always on both)");
        text.AppendLine($"{"Redis",-12} {"measure",-34} {"conn",4} {"req/s",9} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"fail",5}");
        foreach (var row in rows)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{row.Redis,-12} {row.Measure,-34} {row.Connections,4} {(row.RequestsPerSecond > 0 ? row.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture) : "-"),9} {row.Latency.P50Ms,8:0.00} {row.Latency.P90Ms,8:0.00} {row.Latency.P99Ms,8:0.00} {row.Failures,5}"));
        }
        return text.ToString();
    }

    /// <summary>A SessionApi and a Proxy (Supabase = the emulator) on one Redis deployment.</summary>
    private sealed class Target : IAsyncDisposable
    {
        private readonly string _email = $"cluster-bench-{Guid.NewGuid():N}@bench.test";

        private Target(string name, ServiceProcess sessionApi, ServiceProcess proxy, string callerKey)
        {
            Name = name;
            SessionApi = sessionApi;
            Proxy = proxy;
            CallerKey = callerKey;
            Sessions = new SessionFactory(sessionApi.Url, callerKey);
        }

        public string Name { get; }
        public ServiceProcess SessionApi { get; }
        public ServiceProcess Proxy { get; }
        public string CallerKey { get; }
        public SessionFactory Sessions { get; }
        public string UserId { get; } = SessionFactory.NewUserId();
        private string Origin => Proxy.Url.GetLeftPart(UriPartial.Authority);

        public static async Task<Target> StartAsync(string name, string redis, Uri emulator)
        {
            var callerKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
            using var identityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var slug = name.Split(' ')[0];
            var sessionApi = await ServiceProcess.StartAsync($"sessionapi-{slug}", "SessionApi", new Dictionary<string, string?>
            {
                ["ConnectionStrings:redis"] = redis,
                ["SessionApi:CallerKey"] = callerKey,
                ["Jwt:Secret"] = LocalSupabaseKeys.JwtSecret,
                ["Identity:SigningKeyPem"] = identityKey.ExportPkcs8PrivateKeyPem(),
                ["Identity:KeyId"] = "bench-identity-1",
                ["Supabase:Url"] = emulator.ToString().TrimEnd('/'),
                ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
                ["Supabase:ServiceKey"] = LocalSupabaseKeys.ServiceRoleKey,
                ["Logging:LogLevel:Default"] = "Warning",
            });
            var port = FreePort.Next();
            var proxy = await ServiceProcess.StartAsync($"proxy-{slug}", "Proxy", new Dictionary<string, string?>
            {
                ["Supabase:Url"] = emulator.ToString().TrimEnd('/'),
                ["Supabase:AnonKey"] = LocalSupabaseKeys.AnonKey,
                ["Gateway:SessionApiUrl"] = sessionApi.Url.ToString().TrimEnd('/'),
                ["Gateway:SessionApiKey"] = callerKey,
                ["Gateway:SampleWebUrl"] = $"http://127.0.0.1:{FreePort.Next()}",
                ["Gateway:PublicOrigins:0"] = $"http://127.0.0.1:{port}",
                ["Gateway:RateLimits:Enabled"] = "false",
                ["Logging:LogLevel:Default"] = "Warning",
            }, port);
            return new Target(name, sessionApi, proxy, callerKey);
        }

        public HttpClient NewClient() => new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };

        public async Task SignUpAsync(CancellationToken ct)
        {
            using var http = NewClient();
            using var response = await http.SendAsync(AuthRequest("/supabase/auth/v1/signup"), ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"sign-up through {Name}'s Proxy answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
        }

        public async Task<bool> SignInAsync(CancellationToken ct)
        {
            using var http = NewClient();
            using var response = await http.SendAsync(AuthRequest("/supabase/auth/v1/token?grant_type=password"), ct);
            await response.Content.LoadIntoBufferAsync(ct);
            return response.StatusCode == HttpStatusCode.OK && response.Headers.TryGetValues("Set-Cookie", out var cookies)
                && cookies.Any(c => c.StartsWith("sb-session=", StringComparison.Ordinal));
        }

        public async Task<bool> EdgeSessionAsync(HttpClient http, BenchSession session, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Proxy.Url, "/edge/v1/session"));
            request.Headers.Add("Cookie", session.CookieHeader);
            using var response = await http.SendAsync(request, ct);
            await response.Content.LoadIntoBufferAsync(ct);
            return response.StatusCode == HttpStatusCode.OK;
        }

        public async Task<bool> ResolveAsync(HttpClient http, BenchSession session, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(SessionApi.Url, "/internal/v1/sessions/resolve"))
            {
                Content = JsonContent.Create(new { cookie = session.Cookie, client = new { ip = "127.0.0.1", userAgent = "cluster-bench" } }),
            };
            request.Headers.Authorization = new("Bearer", CallerKey);
            using var response = await http.SendAsync(request, ct);
            await response.Content.LoadIntoBufferAsync(ct);
            return response.StatusCode == HttpStatusCode.OK;
        }

        private HttpRequestMessage AuthRequest(string path)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Proxy.Url, path)) { Content = JsonContent.Create(new { email = _email, password = Password }) };
            request.Headers.Add("Origin", Origin);
            return request;
        }

        public async ValueTask DisposeAsync()
        {
            Sessions.Dispose();
            await Proxy.DisposeAsync();
            await SessionApi.DisposeAsync();
        }
    }
}
