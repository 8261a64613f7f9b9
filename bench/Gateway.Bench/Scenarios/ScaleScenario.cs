using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Gateway.Bench.Diagnostics;
using Gateway.Bench.Load;
using Gateway.Bench.Report;
using Gateway.Bench.Stack;
using TestSupport;

namespace Gateway.Bench.Scenarios;

/// <summary>
/// Scenario 9, as users grow: (a) throughput of bare YARP and the warm-session gateway at 64 and 256 connections;
/// (b) the session cache at <see cref="BenchOptions.ScaleSessions"/> cached sessions against the 2,000 of scenario 8
/// (heap per session after a full GC, warm-session p50); (c) <see cref="BenchOptions.ScaleSockets"/> concurrent Realtime
/// sockets through one Proxy (memory per socket) and a user holding <see cref="BenchOptions.RevokeSockets"/> of them
/// who signs out everywhere: every socket must get 4001, and the time until each close frame arrives is recorded.
/// </summary>
public sealed class ScaleScenario(BenchStack stack, BenchOptions options, Action<string> log)
{
    private const string RestPath = "/rest/v1/posts?select=*&order=id";
    public static readonly int[] ScaleConnections = [64, 256];

    public async Task RunAsync(BenchResults results, BenchSession session, SessionFactory sessions, CancellationToken ct)
    {
        // Sessions first: right after scenario 8, before the 256-connection runs grow the Proxy's pools.
        await SessionsAsync(results, sessions, ct);
        await ThroughputAsync(results, session, ct);
        await SocketsAsync(results, sessions, ct);
    }

    private async Task ThroughputAsync(BenchResults results, BenchSession session, CancellationToken ct)
    {
        var bare = new Uri(stack.BareYarp.Url, "/supabase" + RestPath);
        var gateway = new Uri(stack.Proxy.Url, "/supabase" + RestPath);
        foreach (var connections in ScaleConnections)
        {
            foreach (var (id, name, url, shape) in new[]
            {
                (HttpScenarios.BareYarp, "2. bare YARP", bare, new HttpRequestShape()),
                (HttpScenarios.GatewaySession, "4. gateway, warm session", gateway, new HttpRequestShape(Cookie: session.CookieHeader)),
            })
            {
                await Wrk.RunAsync(url, connections, TimeSpan.FromSeconds(Math.Min(2, options.Warmup.TotalSeconds)), shape, ct);
                var run = await Wrk.RunAsync(url, connections, Half(options.Duration), shape, ct);
                var result = new HttpScenarioResult(id, name, connections, run.RequestsPerSecond, run.Requests, run.SocketErrors + run.Non2xx, run.Latency, null, null);
                results.Http.Add(result);
                log($"9. {name}, {connections} conn: {result.RequestsPerSecond:N0} req/s, p50 {result.Latency.P50Ms:0.000} ms, p99 {result.Latency.P99Ms:0.000} ms, errors {result.Errors}");
            }
        }
    }

    /// <summary>Grows the Proxy's cache from scenario 8's sessions to ScaleSessions and measures heap and warm p50 at both sizes.</summary>
    private async Task SessionsAsync(BenchResults results, SessionFactory sessions, CancellationToken ct)
    {
        var pid = ServiceProcessIds.Find(stack.Proxy);
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = 32 });
        var url = new Uri(stack.Proxy.Url, "/supabase" + RestPath);
        var probe = await sessions.CreateAsync(SessionFactory.NewUserId(), ct);
        await MemoryScenario.UseOnceAsync(http, url, [probe], ct);

        async Task<SessionScaleRow> MeasureAsync(int cached)
        {
            var heap = await HeapProbe.HeapAfterFullGcAsync(pid, TimeSpan.FromSeconds(60));
            var rss = ServiceProcessIds.ResidentBytes(pid);
            var run = await Wrk.RunAsync(url, 1, Half(options.Duration), new HttpRequestShape(Cookie: probe.CookieHeader), ct);
            var row = new SessionScaleRow(cached, heap.Total, rss, run.RequestsPerSecond, run.Latency, heap);
            log($"9. sessions: {cached:N0} cached, heap {heap.Total / 1048576.0:0.0} MiB (LOH {heap.LargeObjects / 1048576.0:0.0}, POH {heap.PinnedObjects / 1048576.0:0.0}), " +
                $"RSS {rss / 1048576.0:0.0} MiB, warm p50 {run.Latency.P50Ms:0.000} ms");
            return row;
        }

        var baseline = results.Memory?.Sessions ?? 0;
        var small = await MeasureAsync(baseline + 1);
        var more = options.ScaleSessions - small.Cached;
        log($"9. sessions: creating {more:N0} more sessions and using each once through the Proxy");
        var started = Stopwatch.GetTimestamp();
        const int Batch = 5000;
        for (var done = 0; done < more; done += Batch)
        {
            var created = await sessions.CreateManyAsync(Math.Min(Batch, more - done), parallelism: 32, ct);
            await MemoryScenario.UseOnceAsync(http, url, created, ct, parallelism: 32);
        }
        log($"9. sessions: {more:N0} sessions created and cached in {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s");
        var large = await MeasureAsync(small.Cached + more);
        results.Scale.Sessions = [small, large];
        await PauseAsync("100,000 sessions cached", pid, ct);
    }

    /// <summary>Opens ScaleSockets sockets through Proxy 2, RevokeSockets of them held by one user, then revokes that user everywhere.</summary>
    /// <summary>The scale rows run half as long as the main ones (the whole run stays near ten minutes).</summary>
    private static TimeSpan Half(TimeSpan duration) => TimeSpan.FromSeconds(Math.Max(1, Math.Round(duration.TotalSeconds / 2)));

    private async Task SocketsAsync(BenchResults results, SessionFactory sessions, CancellationToken ct)
    {
        var pid = ServiceProcessIds.Find(stack.EmulatorProxy);
        var uri = PhoenixSocket.RealtimeUri(stack.EmulatorProxy.Url, "/supabase", LocalSupabaseKeys.AnonKey, v2: true);
        var origin = BenchStack.OriginOf(stack.EmulatorProxy);
        var partsBefore = await HeapProbe.HeapAfterFullGcAsync(pid, TimeSpan.FromSeconds(60));
        var heapBefore = partsBefore.Total;
        var rssBefore = ServiceProcessIds.ResidentBytes(pid);

        // The user: a few sessions (devices), each holding some of the user's sockets.
        var userId = SessionFactory.NewUserId();
        const int Devices = 10;
        var devices = new List<BenchSession>();
        for (var i = 0; i < Devices; i++)
        {
            devices.Add(await sessions.CreateAsync(userId, ct));
        }
        var background = options.ScaleSockets - options.RevokeSockets;
        log($"9. sockets: opening {background:N0} anonymous sockets and {options.RevokeSockets} of one user ({Devices} sessions) through Proxy 2");
        var started = Stopwatch.GetTimestamp();
        var sockets = new ClientWebSocket[options.ScaleSockets];
        await Parallel.ForEachAsync(Enumerable.Range(0, options.ScaleSockets), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct },
            async (i, token) => sockets[i] = await ConnectAsync(uri, origin, i < background ? null : devices[i % Devices].CookieHeader, token));
        log($"9. sockets: {options.ScaleSockets:N0} open in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            var partsAfter = await HeapProbe.HeapAfterFullGcAsync(pid, TimeSpan.FromSeconds(60));
            var heapAfter = partsAfter.Total;
            var rssAfter = ServiceProcessIds.ResidentBytes(pid);
            await PauseAsync($"{options.ScaleSockets:N0} sockets open", pid, ct);

            // Sign out everywhere (scope=all) from one of the user's devices, on Proxy 1; the sockets are on Proxy 2.
            var userSockets = sockets[background..];
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
            giveUp.CancelAfter(TimeSpan.FromSeconds(10));
            var closes = userSockets.Select(s => WaitForCloseAsync(s, giveUp.Token)).ToArray();
            using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { Timeout = TimeSpan.FromSeconds(10) };
            var revokeStarted = Stopwatch.GetTimestamp();
            using (var revoke = new HttpRequestMessage(HttpMethod.Delete, new Uri(stack.Proxy.Url, "/edge/v1/sessions?scope=all")))
            {
                revoke.Headers.Add("Cookie", devices[0].CookieHeader);
                revoke.Headers.Add("Origin", BenchStack.OriginOf(stack.Proxy));
                using var response = await http.SendAsync(revoke, ct);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"DELETE /edge/v1/sessions?scope=all answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                }
            }
            var revokeMs = Stopwatch.GetElapsedTime(revokeStarted).TotalMilliseconds;
            var closed = await Task.WhenAll(closes);
            var times = closed.Where(c => c.At is not null).Select(c => Stopwatch.GetElapsedTime(revokeStarted, c.At!.Value).TotalMilliseconds).ToList();
            var with4001 = closed.Count(c => c.Is4001);
            var stillOpen = sockets[..background].Count(s => s.State == WebSocketState.Open);
            results.Scale.Sockets = new SocketScaleResult(options.ScaleSockets, heapBefore, heapAfter, rssBefore, rssAfter,
                options.RevokeSockets, Devices, revokeMs, with4001, closed.Count(c => c.At is null), stillOpen, LatencyStats.FromSamples(times),
                partsBefore, partsAfter);
            log($"9. sockets: {results.Scale.Sockets.HeapBytesPerSocket:N0} B heap and {results.Scale.Sockets.RssBytesPerSocket:N0} B RSS per socket; " +
                $"revoke-all: {with4001}/{options.RevokeSockets} closed with 4001, p50 {results.Scale.Sockets.Closed.P50Ms:0.0} ms, p99 {results.Scale.Sockets.Closed.P99Ms:0.0} ms; " +
                $"other sockets still open {stillOpen:N0}/{background:N0}");
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket?.Abort();
                socket?.Dispose();
            }
        }
    }

    private async Task PauseAsync(string state, int pid, CancellationToken ct)
    {
        if (options.PauseForDumps > 0)
        {
            log($"9. {state}: pausing {options.PauseForDumps} s for a heap dump of pid {pid}");
            await Task.Delay(TimeSpan.FromSeconds(options.PauseForDumps), ct);
        }
    }

    private static async Task<ClientWebSocket> ConnectAsync(Uri uri, string origin, string? cookie, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", origin);
        if (cookie is not null)
        {
            socket.Options.SetRequestHeader("Cookie", cookie);
        }
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        socket.Options.SetBuffer(256, 256);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(uri, timeout.Token);
        return socket;
    }

    private static async Task<(long? At, bool Is4001)> WaitForCloseAsync(ClientWebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), ct);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return (Stopwatch.GetTimestamp(), (int?)socket.CloseStatus == 4001);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            return (null, false);
        }
    }
}
