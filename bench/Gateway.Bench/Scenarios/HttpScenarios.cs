using Gateway.Bench.Diagnostics;
using Gateway.Bench.Load;
using Gateway.Bench.Report;
using Gateway.Bench.Stack;
using TestSupport;

namespace Gateway.Bench.Scenarios;

/// <summary>
/// Scenarios 1–4: the same GET for a ~700-byte JSON, (1) straight to the upstream, (2) through a bare YARP, (3) through
/// the gateway without a cookie (anon key injected), (4) through the gateway with a live, cached session (minted JWT
/// injected, cookie removed). Then the allocations per request of each serving process.
/// </summary>
public sealed class HttpScenarios(BenchStack stack, BenchOptions options, Action<string> log)
{
    public const string Upstream = "upstream";
    public const string BareYarp = "bare-yarp";
    public const string GatewayAnonymous = "gateway-anon";
    public const string GatewaySession = "gateway-session";

    private const string RestPath = "/rest/v1/posts?select=*&order=id";

    private sealed record Scenario(string Id, string Name, Uri Url, HttpRequestShape Shape, ServiceProcess Server);

    public async Task RunAsync(BenchResults results, BenchSession session, CancellationToken ct)
    {
        Scenario[] scenarios =
        [
            new(Upstream, "1. upstream direct", new Uri(stack.Upstream.Url, RestPath), new(), stack.Upstream),
            new(BareYarp, "2. bare YARP", new Uri(stack.BareYarp.Url, "/supabase" + RestPath), new(), stack.BareYarp),
            new(GatewayAnonymous, "3. gateway, no cookie", new Uri(stack.Proxy.Url, "/supabase" + RestPath), new(), stack.Proxy),
            new(GatewaySession, "4. gateway, warm session", new Uri(stack.Proxy.Url, "/supabase" + RestPath), new(Cookie: session.CookieHeader), stack.Proxy),
        ];

        foreach (var scenario in scenarios)
        {
            await CheckAsync(scenario, ct);
            log($"{scenario.Name}: warm-up {options.Warmup.TotalSeconds:0} s");
            await Wrk.RunAsync(scenario.Url, options.Connections.Max(), options.Warmup, scenario.Shape, ct);
            // Through the Proxy, count its session cache hits and misses (its own meter) to prove what was measured.
            await using var counters = scenario.Server == stack.Proxy ? AllocationProbe.Start(ServiceProcessIds.Find(stack.Proxy), sampleAllocations: false) : null;
            foreach (var connections in options.Connections)
            {
                if (counters is not null)
                {
                    await counters.NextTotalAllocatedAsync(TimeSpan.FromSeconds(15));
                    counters.ResetSamples();
                }
                var run = await Wrk.RunAsync(scenario.Url, connections, options.Duration, scenario.Shape, ct);
                (long Hits, long Misses)? cache = null;
                if (counters is not null)
                {
                    await counters.NextTotalAllocatedAsync(TimeSpan.FromSeconds(15));
                    cache = counters.CacheCounts;
                }
                var result = new HttpScenarioResult(scenario.Id, scenario.Name, connections, run.RequestsPerSecond, run.Requests,
                    run.SocketErrors + run.Non2xx, run.Latency, cache?.Hits, cache?.Misses);
                results.Http.Add(result);
                log($"{scenario.Name}, {connections} conn: {result.RequestsPerSecond:N0} req/s, p50 {result.Latency.P50Ms:0.000} ms, " +
                    $"p99 {result.Latency.P99Ms:0.000} ms, errors {result.Errors}" +
                    (cache is { } c ? $", session cache hits {c.Hits:N0} misses {c.Misses:N0}" : ""));
            }
        }

        foreach (var scenario in scenarios)
        {
            results.Allocations.Add(await MeasureAllocationsAsync(scenario, ct));
        }
    }

    /// <summary>A scenario that does not answer 200 would make every figure meaningless.</summary>
    private static async Task CheckAsync(Scenario scenario, CancellationToken ct)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, scenario.Url);
        if (scenario.Shape.Cookie is { } cookie)
        {
            request.Headers.Add("Cookie", cookie);
        }
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if ((int)response.StatusCode != 200 || body.Length < 600)
        {
            throw new InvalidOperationException($"{scenario.Name}: GET {scenario.Url} answered {(int)response.StatusCode} ({body.Length} bytes): {body}");
        }
    }

    private async Task<AllocationResult> MeasureAllocationsAsync(Scenario scenario, CancellationToken ct)
    {
        var pid = ServiceProcessIds.Find(scenario.Server);
        var connections = options.Connections.Max();
        await using var probe = AllocationProbe.Start(pid);
        var before = await probe.NextTotalAllocatedAsync(TimeSpan.FromSeconds(15));
        probe.ResetSamples();
        var run = await Wrk.RunAsync(scenario.Url, connections, options.AllocationRun, scenario.Shape, ct);
        var after = await probe.NextTotalAllocatedAsync(TimeSpan.FromSeconds(15));
        var perRequest = run.Requests > 0 ? (after - before) / (double)run.Requests : 0;
        var proxied = scenario.Server == stack.Proxy;
        var result = new AllocationResult(scenario.Id, scenario.Server.ToString().Split(' ')[0], connections, run.Requests, perRequest,
            [.. probe.TopTypes(10).Select(t => new AllocatedType(t.Type, t.Share, t.Share * perRequest))],
            proxied ? probe.CacheCounts.Hits : null, proxied ? probe.CacheCounts.Misses : null);
        log($"{scenario.Name}: {result.BytesPerRequest:N0} B allocated per request in {result.Process} ({run.Requests:N0} requests" +
            (proxied ? $", session cache hits {result.CacheHits:N0} misses {result.CacheMisses:N0})" : ")"));
        return result;
    }
}
