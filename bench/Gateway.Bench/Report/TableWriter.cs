using System.Globalization;
using System.Text;
using Gateway.Bench.Scenarios;

namespace Gateway.Bench.Report;

/// <summary>The plain-text (and Markdown-compatible) tables printed at the end of a run.</summary>
public static class TableWriter
{
    public static string Write(BenchResults r)
    {
        var text = new StringBuilder();
        var m = r.Machine;
        Line(text, $"Gateway benchmark {(r.Smoke ? "(SMOKE: figures meaningless) " : "")}— {r.StartedAt:yyyy-MM-dd HH:mm} UTC, commit {m.Commit}{(m.WorkTreeDirty ? " (+local changes)" : "")}");
        Line(text, $"{m.CpuModel}, {m.LogicalCores} logical cores, {m.MemoryBytes / (1L << 30)} GiB, {m.Os}, {m.DotnetRuntime}, {m.Wrk}, {m.Redis.Split(' ').Take(3).Aggregate((a, b) => a + " " + b)}");
        Line(text, $"Warm-up {r.Options.Warmup.TotalSeconds:0} s, {r.Options.Duration.TotalSeconds:0} s per run; everything on loopback sharing the cores; load average {r.LoadAverageAtStart:0.0} → {r.LoadAverageAtEnd:0.0}.");
        text.AppendLine();

        if (r.Http.Count > 0)
        {
            var baseline = r.Http.Where(h => h.Id == HttpScenarios.BareYarp).ToDictionary(h => h.Connections);
            var rows = r.Http.Select(h => new[]
            {
                h.Name, h.Connections.ToString(CultureInfo.InvariantCulture), N(h.RequestsPerSecond, "N0"), N(h.Latency.P50Ms, "0.000"),
                N(h.Latency.P90Ms, "0.000"), N(h.Latency.P99Ms, "0.000"), N(h.Latency.MaxMs, "0.00"),
                baseline.TryGetValue(h.Connections, out var b) ? N(h.RequestsPerSecond / b.RequestsPerSecond * 100, "0") + " %" : "",
                baseline.TryGetValue(h.Connections, out var b2) ? Signed(h.Latency.P50Ms - b2.Latency.P50Ms) : "",
                h.Errors.ToString(CultureInfo.InvariantCulture),
                h.CacheHits is { } hits ? $"{hits:N0}/{h.CacheMisses:N0}" : "",
            });
            Table(text, "HTTP GET, ~700-byte JSON (wrk)", ["scenario", "conns", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "vs YARP req/s", "Δp50 vs YARP ms", "errors", "cache hit/miss"], rows);
        }
        if (r.Allocations.Count > 0)
        {
            Table(text, "Managed allocations per request in the serving process", ["scenario", "process", "conns", "requests", "bytes/request", "cache hit/miss"],
                r.Allocations.Select(a => new[]
                {
                    a.Id, a.Process, a.Connections.ToString(CultureInfo.InvariantCulture), a.Requests.ToString("N0", CultureInfo.InvariantCulture), N(a.BytesPerRequest, "N0"),
                    a.CacheHits is { } hits ? $"{hits:N0}/{a.CacheMisses:N0}" : "",
                }));
        }
        var sampled = r.Allocations.Where(a => a.TopTypes.Count > 0).ToList();
        if (sampled.Count > 0)
        {
            Table(text, "Where the bytes go (GC allocation sampling, top types, bytes/request estimated)", ["scenario", "type", "share", "≈ bytes/request"],
                sampled.Where(a => a.Id != HttpScenarios.Upstream).SelectMany(a => a.TopTypes.Take(6).Select(t => new[] { a.Id, t.Type, N(t.Share * 100, "0") + " %", N(t.BytesPerRequest, "N0") })));
        }
        if (r.SignIn.Count > 0)
        {
            Table(text, "Password sign-in, 1 connection, sequential", ["path", "count", "p50 ms", "p90 ms", "p99 ms", "max ms", "failures"],
                r.SignIn.Select(s => new[] { s.Path, s.Latency.Count.ToString(CultureInfo.InvariantCulture), N(s.Latency.P50Ms, "0.00"), N(s.Latency.P90Ms, "0.00"), N(s.Latency.P99Ms, "0.00"), N(s.Latency.MaxMs, "0.00"), s.Failures.ToString(CultureInfo.InvariantCulture) }));
        }
        if (r.Realtime.Count > 0)
        {
            Table(text, $"Realtime broadcast, 1 publisher → 1 receiver, {r.Options.RealtimeWindow} in flight", ["vsn", "path", "delivered", "msg/s", "p50 ms", "p99 ms", "relay/direct", "CPU µs/msg: emulator", "relay Proxy", "clients"],
                r.Realtime.Select(x =>
                {
                    var direct = r.Realtime.FirstOrDefault(d => d.Serializer == x.Serializer && d.Path == RealtimeScenario.Direct);
                    return new[]
                    {
                        x.Serializer, x.Path, x.Delivered.ToString("N0", CultureInfo.InvariantCulture), N(x.MessagesPerSecond, "N0"), N(x.Latency.P50Ms, "0.000"), N(x.Latency.P99Ms, "0.000"),
                        direct is { MessagesPerSecond: > 0 } ? N(x.MessagesPerSecond / direct.MessagesPerSecond * 100, "0") + " %" : "",
                        N(x.EmulatorCpuUsPerMessage, "0.0"), x.Path == RealtimeScenario.Relay ? N(x.ProxyCpuUsPerMessage, "0.0") : "", N(x.HarnessCpuUsPerMessage, "0.0"),
                    };
                }));
        }
        if (r.Revocation is { } v)
        {
            Table(text, $"Revocation ({v.Revocations}×: DELETE /edge/v1/sessions/{{id}} on Proxy 1; victim cached on Proxy 1, socket on Proxy 2)",
                ["measure", "p50 ms", "p99 ms", "max ms", "notes"],
                [
                    ["revoke request", N(v.RevokeRequest.P50Ms, "0.00"), N(v.RevokeRequest.P99Ms, "0.00"), N(v.RevokeRequest.MaxMs, "0.00"), ""],
                    ["ack → 401 on Proxy 1", N(v.HttpRefusedAfterAck.P50Ms, "0.00"), N(v.HttpRefusedAfterAck.P99Ms, "0.00"), N(v.HttpRefusedAfterAck.MaxMs, "0.00"),
                        $"first request refused {v.FirstRequestRefused}/{v.Revocations}, stale answers {v.StaleResponses}"],
                    ["request → socket closed on Proxy 2", N(v.SocketClosedAfterRequest.P50Ms, "0.0"), N(v.SocketClosedAfterRequest.P99Ms, "0.0"), N(v.SocketClosedAfterRequest.MaxMs, "0.0"),
                        $"code 4001: {v.SocketsClosedWith4001}, not closed: {v.SocketsNotClosed}"],
                ]);
        }
        if (r.Memory is { } mem)
        {
            Table(text, $"Proxy memory per cached idle session ({mem.Sessions} sessions)", ["measure", "before", "after", "per session"],
                [
                    ["managed heap after full GC", Bytes(mem.HeapBefore), Bytes(mem.HeapAfter), N(mem.HeapBytesPerSession, "N0") + " B"],
                    ["VmRSS", Bytes(mem.RssBefore), Bytes(mem.RssAfter), N(mem.RssBytesPerSession, "N0") + " B"],
                ]);
            Table(text, "What one cache entry holds (estimated from a resolve answer)", ["part", "bytes"],
                mem.EntryParts.Select(p => new[] { p.Key, p.Value.ToString("N0", CultureInfo.InvariantCulture) }));
        }
        if (r.Scale.Sessions.Count > 0)
        {
            var first = r.Scale.Sessions[0];
            Table(text, "Scale: sessions in the Proxy's cache (heap after a full GC, by part; warm session, 1 connection)",
                ["cached sessions", "managed heap", "of it LOH / POH", "per added session", "VmRSS", "req/s", "p50 ms", "p99 ms"],
                r.Scale.Sessions.Select(s => new[]
                {
                    s.Cached.ToString("N0", CultureInfo.InvariantCulture), Bytes(s.HeapBytes),
                    s.Heap is { } h ? $"{Bytes(h.LargeObjects)} / {Bytes(h.PinnedObjects)}" : "",
                    s == first ? (r.Memory is { } m ? N(m.HeapBytesPerSession, "N0") + " B (scenario 8)" : "") : N((s.HeapBytes - first.HeapBytes) / (double)(s.Cached - first.Cached), "N0") + " B",
                    Bytes(s.RssBytes), N(s.RequestsPerSecond, "N0"), N(s.Warm.P50Ms, "0.000"), N(s.Warm.P99Ms, "0.000"),
                }));
        }
        if (r.Scale.Sockets is { } sk)
        {
            Table(text, $"Scale: {sk.Sockets:N0} concurrent Realtime sockets through Proxy 2 (idle, v2), one user holding {sk.UserSockets} on {sk.UserSessions} sessions signs out everywhere on Proxy 1",
                ["measure", "value", "notes"],
                [
                    ["managed heap per socket", N(sk.HeapBytesPerSocket, "N0") + " B", $"{Bytes(sk.HeapBefore)} → {Bytes(sk.HeapAfter)} after a full GC" +
                        (sk.PartsBefore is { } pb && sk.PartsAfter is { } pa
                            ? $" (per socket: small objects {N((pa.SmallObjects - pb.SmallObjects) / (double)sk.Sockets, "N0")} B, LOH {N((pa.LargeObjects - pb.LargeObjects) / (double)sk.Sockets, "N0")} B, pinned {N((pa.PinnedObjects - pb.PinnedObjects) / (double)sk.Sockets, "N0")} B)"
                            : "")],
                    ["VmRSS per socket", N(sk.RssBytesPerSocket, "N0") + " B", $"{Bytes(sk.RssBefore)} → {Bytes(sk.RssAfter)}"],
                    ["revoke-all request (scope=all)", N(sk.RevokeRequestMs, "0.0") + " ms", ""],
                    ["request → socket closed, p50 / p99 / max", $"{N(sk.Closed.P50Ms, "0.0")} / {N(sk.Closed.P99Ms, "0.0")} / {N(sk.Closed.MaxMs, "0.0")} ms",
                        $"4001: {sk.ClosedWith4001}/{sk.UserSockets}, not closed: {sk.NotClosed}, other sockets still open: {sk.OthersStillOpen:N0}"],
                ]);
        }
        if (r.Targets.Count > 0)
        {
            Table(text, "Targets (issues 7 and 17)", ["target", "goal", "measured", "result"],
                r.Targets.Select(t => new[] { t.Name, t.Target, t.Measured, t.Pass switch { true => "PASS", false => "MISS", null => "n/a" } }));
        }
        foreach (var note in r.Notes)
        {
            Line(text, "Note: " + note);
        }
        return text.ToString();
    }

    private static void Table(StringBuilder text, string title, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, all.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        text.AppendLine(title);
        text.AppendLine("| " + string.Join(" | ", header.Select((h, i) => h.PadRight(widths[i]))) + " |");
        text.AppendLine("| " + string.Join(" | ", widths.Select(w => new string('-', w))) + " |");
        foreach (var row in all)
        {
            text.AppendLine("| " + string.Join(" | ", row.Select((c, i) => c.PadRight(widths[i]))) + " |");
        }
        text.AppendLine();
    }

    private static void Line(StringBuilder text, FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));

    private static void Line(StringBuilder text, string line) => text.AppendLine(line);

    private static string N(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Signed(double value) => (value >= 0 ? "+" : "") + value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Bytes(long value) => (value / 1024.0 / 1024.0).ToString("0.00", CultureInfo.InvariantCulture) + " MiB";
}
