using System.Globalization;
using Gateway.Bench.Scenarios;

namespace Gateway.Bench.Report;

/// <summary>The targets of issues 7 and 17, judged against the baselines measured in the same run.</summary>
public static class Targets
{
    public static List<TargetCheck> Evaluate(BenchResults r)
    {
        var checks = new List<TargetCheck>();
        var minConnections = r.Options.Connections.Min();
        var maxConnections = r.Options.Connections.Max();
        HttpScenarioResult? Http(string id, int connections) => r.Http.FirstOrDefault(h => h.Id == id && h.Connections == connections);

        if (Http(HttpScenarios.BareYarp, minConnections) is { } yarp1 && Http(HttpScenarios.GatewaySession, minConnections) is { } session1)
        {
            var added = session1.Latency.P50Ms - yarp1.Latency.P50Ms;
            checks.Add(new("Warm session latency", $"p50 ≤ bare YARP + 0.15 ms ({minConnections} conn)",
                F($"{session1.Latency.P50Ms:0.000} ms vs {yarp1.Latency.P50Ms:0.000} ms ({Signed(added, "0.000")} ms)"), added <= 0.15));
        }
        if (Http(HttpScenarios.BareYarp, maxConnections) is { } yarpN)
        {
            foreach (var id in new[] { HttpScenarios.GatewaySession, HttpScenarios.GatewayAnonymous })
            {
                if (Http(id, maxConnections) is { } gateway)
                {
                    var ratio = gateway.RequestsPerSecond / yarpN.RequestsPerSecond;
                    checks.Add(new($"Throughput, {(id == HttpScenarios.GatewaySession ? "warm session" : "no cookie")}",
                        $"≥ 80 % of bare YARP req/s ({maxConnections} conn)",
                        F($"{gateway.RequestsPerSecond:N0} vs {yarpN.RequestsPerSecond:N0} req/s ({ratio:P0})"), ratio >= 0.8));
                }
            }
        }
        if (r.SignIn.FirstOrDefault(s => s.Path == SignInScenario.Direct) is { } direct &&
            r.SignIn.FirstOrDefault(s => s.Path == SignInScenario.Gateway) is { } through)
        {
            var added = through.Latency.P50Ms - direct.Latency.P50Ms;
            // Where the added time goes, hop by hop (each timed on its own from the harness, p50s).
            var create = r.SignIn.FirstOrDefault(s => s.Path == SignInScenario.SessionApiCreate)?.Latency.P50Ms ?? 0;
            var limit = r.Options.RateLimits ? r.SignIn.FirstOrDefault(s => s.Path == SignInScenario.SessionApiRateLimit)?.Latency.P50Ms ?? 0 : 0;
            checks.Add(new("Sign-in through the gateway", "p50 ≤ direct + 2 ms",
                F($"{through.Latency.P50Ms:0.00} ms vs {direct.Latency.P50Ms:0.00} ms ({Signed(added, "0.00")} ms ≈ create {create:0.00} + rate limit {limit:0.00} + Proxy hop and work {added - create - limit:0.00})"),
                added <= 2 && through.Failures == 0 && direct.Failures == 0));
        }
        foreach (var serializer in r.Realtime.Select(x => x.Serializer).Distinct())
        {
            var d = r.Realtime.FirstOrDefault(x => x.Serializer == serializer && x.Path == RealtimeScenario.Direct);
            var relay = r.Realtime.FirstOrDefault(x => x.Serializer == serializer && x.Path == RealtimeScenario.Relay);
            if (d is not null && relay is not null && d.MessagesPerSecond > 0)
            {
                var ratio = relay.MessagesPerSecond / d.MessagesPerSecond;
                var addedP99 = relay.Latency.P99Ms - d.Latency.P99Ms;
                checks.Add(new($"Realtime relay, vsn {serializer}", "≥ 80 % of direct msg/s, p99 ≤ direct + 1 ms",
                    F($"{relay.MessagesPerSecond:N0} vs {d.MessagesPerSecond:N0} msg/s ({ratio:P0}); p99 {relay.Latency.P99Ms:0.000} vs {d.Latency.P99Ms:0.000} ms ({Signed(addedP99, "0.000")} ms)"),
                    ratio >= 0.8 && addedP99 <= 1));
            }
        }
        if (r.Revocation is { } revocation)
        {
            checks.Add(new("Revocation → next HTTP request", "refused immediately (first request after the revoke returns)",
                F($"{revocation.FirstRequestRefused}/{revocation.Revocations} first requests refused; {revocation.StaleResponses} stale answers"),
                revocation.FirstRequestRefused == revocation.Revocations));
            checks.Add(new("Revocation → socket closed (other instance)", "p99 < 1 s, close code 4001",
                F($"p50 {revocation.SocketClosedAfterRequest.P50Ms:0.0} ms, p99 {revocation.SocketClosedAfterRequest.P99Ms:0.0} ms; 4001: {revocation.SocketsClosedWith4001}/{revocation.Revocations}"),
                revocation.SocketsNotClosed == 0 && revocation.SocketClosedAfterRequest.P99Ms < 1000 && revocation.SocketsClosedWith4001 == revocation.Revocations));
        }
        if (r.Memory is { } memory)
        {
            checks.Add(new("Proxy memory per idle session", "≤ 2 KB (managed heap after full GC)",
                F($"{memory.HeapBytesPerSession:N0} B heap, {memory.RssBytesPerSession:N0} B RSS ({memory.Sessions} sessions)"),
                memory.HeapBytesPerSession <= 2048));
        }
        var bareAllocations = r.Allocations.FirstOrDefault(a => a.Id == HttpScenarios.BareYarp);
        var sessionAllocations = r.Allocations.FirstOrDefault(a => a.Id == HttpScenarios.GatewaySession);
        if (bareAllocations is not null && sessionAllocations is not null)
        {
            var added = sessionAllocations.BytesPerRequest - bareAllocations.BytesPerRequest;
            checks.Add(new("Allocations per warm request", "≤ bare YARP + 1.5 KB",
                F($"{sessionAllocations.BytesPerRequest:N0} B vs {bareAllocations.BytesPerRequest:N0} B (+{added:N0} B)"), added <= 1536));
        }
        foreach (var connections in ScaleScenario.ScaleConnections)
        {
            if (Http(HttpScenarios.BareYarp, connections) is { } yarp && Http(HttpScenarios.GatewaySession, connections) is { } gateway)
            {
                var ratio = gateway.RequestsPerSecond / yarp.RequestsPerSecond;
                checks.Add(new($"Throughput at scale, warm session", $"≥ 80 % of bare YARP req/s ({connections} conn)",
                    F($"{gateway.RequestsPerSecond:N0} vs {yarp.RequestsPerSecond:N0} req/s ({ratio:P0})"), ratio >= 0.8));
            }
        }
        if (r.Scale.Sessions is [var small, .., var large] && r.Memory is { } baseline && large.Cached > small.Cached)
        {
            // The heap each session added from the first row to the last, against scenario 8's per-session figure.
            var perAdded = (large.HeapBytes - small.HeapBytes) / (double)(large.Cached - small.Cached);
            checks.Add(new($"{large.Cached:N0} cached sessions", $"heap/session ≤ 110 % of {baseline.Sessions:N0}'s; warm p50 ≤ +0.05 ms",
                F($"{perAdded:N0} vs {baseline.HeapBytesPerSession:N0} B/session; p50 {large.Warm.P50Ms:0.000} vs {small.Warm.P50Ms:0.000} ms"),
                perAdded <= baseline.HeapBytesPerSession * 1.1 && large.Warm.P50Ms <= small.Warm.P50Ms + 0.05));
        }
        if (r.Scale.Sockets is { } sockets)
        {
            checks.Add(new($"Revoke-all, {sockets.UserSockets} sockets among {sockets.Sockets:N0}", "all closed with 4001, p99 < 1 s, no other socket closed",
                F($"4001: {sockets.ClosedWith4001}/{sockets.UserSockets}; p50 {sockets.Closed.P50Ms:0.0} ms, p99 {sockets.Closed.P99Ms:0.0} ms; others open {sockets.OthersStillOpen:N0}/{sockets.Sockets - sockets.UserSockets:N0}"),
                sockets.ClosedWith4001 == sockets.UserSockets && sockets.Closed.P99Ms < 1000 && sockets.OthersStillOpen == sockets.Sockets - sockets.UserSockets));
        }
        return checks;
    }

    private static string Signed(double value, string format) => (value >= 0 ? "+" : "") + value.ToString(format, CultureInfo.InvariantCulture);

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
