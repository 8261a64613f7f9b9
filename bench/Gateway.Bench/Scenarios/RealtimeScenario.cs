using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using Gateway.Bench.Diagnostics;
using Gateway.Bench.Load;
using Gateway.Bench.Report;
using Gateway.Bench.Stack;
using TestSupport;

namespace Gateway.Bench.Scenarios;

/// <summary>
/// Scenario 6: broadcasts per second from one socket to another on the same topic, straight to the emulator's Realtime
/// vs through the gateway's relay (cookie session, token rewritten in the join), for both serializers. The publisher
/// keeps a fixed window of broadcasts in flight (closed loop), so the figure is the pipeline's capacity, not a queue.
/// </summary>
public sealed class RealtimeScenario(BenchStack stack, BenchOptions options, Action<string> log)
{
    public const string Direct = "direct";
    public const string Relay = "relay";
    private static readonly string Padding = new('x', 64);

    public async Task RunAsync(BenchResults results, BenchSession session, CancellationToken ct)
    {
        foreach (var v2 in new[] { false, true })
        {
            foreach (var path in new[] { Direct, Relay })
            {
                var result = await MeasureAsync(v2, path, session, ct);
                results.Realtime.Add(result);
                log($"6. realtime {result.Serializer} {path}: {result.MessagesPerSecond:N0} msg/s, p50 {result.Latency.P50Ms:0.000} ms, " +
                    $"p99 {result.Latency.P99Ms:0.000} ms");
            }
        }
    }

    private async Task<RealtimeResult> MeasureAsync(bool v2, string path, BenchSession session, CancellationToken ct)
    {
        var serializer = v2 ? "2.0.0" : "1.0.0";
        var relay = path == Relay;
        var uri = relay
            ? PhoenixSocket.RealtimeUri(stack.EmulatorProxy.Url, "/supabase", LocalSupabaseKeys.AnonKey, v2)
            : PhoenixSocket.RealtimeUri(stack.Emulator.Url, "", LocalSupabaseKeys.AnonKey, v2);
        var origin = relay ? BenchStack.OriginOf(stack.EmulatorProxy) : null;
        var cookie = relay ? session.CookieHeader : null;
        // Direct clients hold a user JWT themselves; through the relay they hold only the placeholder, which the relay replaces.
        var token = relay
            ? "placeholder-the-relay-replaces"
            : LocalJwt.AccessToken(session.UserId, "bench@bench.test", Guid.NewGuid().ToString(), DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        var topic = $"realtime:bench-{Guid.NewGuid():N}";

        using var receiver = await PhoenixSocket.ConnectAsync(uri, v2, origin, cookie, ct);
        using var publisher = await PhoenixSocket.ConnectAsync(uri, v2, origin, cookie, ct);
        await receiver.JoinAsync(topic, token, ct);
        await publisher.JoinAsync(topic, token, ct);

        var window = new SemaphoreSlim(options.RealtimeWindow, options.RealtimeWindow);
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        var samples = new List<double>(100_000);
        long delivered = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        var receiving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (type, length) = await receiver.ReceiveAsync(stop.Token);
                if (type == WebSocketMessageType.Close)
                {
                    throw new InvalidOperationException($"realtime {serializer} {path}: receiver closed ({receiver.Socket.CloseStatus} {receiver.Socket.CloseStatusDescription})");
                }
                var now = Stopwatch.GetTimestamp();
                var payload = PhoenixSocket.BroadcastPayload(receiver.Received(length), type, out var document);
                using (document)
                {
                    if (payload.IsEmpty)
                    {
                        continue;
                    }
                    var reader = new Utf8JsonReader(payload);
                    var sent = SentTimestamp(ref reader);
                    window.Release();
                    if (sent >= measureFrom && now <= measureTo)
                    {
                        delivered++;
                        samples.Add(Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
                    }
                }
            }
        }, CancellationToken.None);

        // CPU of the emulator, the relaying Proxy and this harness over the measured window.
        var emulatorPid = ServiceProcessIds.Find(stack.Emulator);
        var proxyPid = ServiceProcessIds.Find(stack.EmulatorProxy);
        double[]? cpuFrom = null;
        double[] Cpu() => [ServiceProcessIds.CpuSeconds(emulatorPid), ServiceProcessIds.CpuSeconds(proxyPid), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds];

        var stalls = 0;
        var sequence = 0L;
        while (Stopwatch.GetTimestamp() < measureTo && !receiving.IsCompleted)
        {
            if (cpuFrom is null && Stopwatch.GetTimestamp() >= measureFrom)
            {
                cpuFrom = Cpu();
            }
            if (!await window.WaitAsync(TimeSpan.FromSeconds(1), ct))
            {
                stalls++; // a broadcast was lost; keep going with one slot fewer
                continue;
            }
            var payload = string.Create(CultureInfo.InvariantCulture, $$"""{"seq":{{++sequence}},"sent":{{Stopwatch.GetTimestamp()}},"text":"{{Padding}}"}""");
            await publisher.SendTextAsync(publisher.BroadcastFrame(topic, "bench", payload), ct);
        }
        var cpuTo = Cpu();
        await Task.Delay(200, ct);
        await stop.CancelAsync();
        try
        {
            await receiving;
        }
        catch (OperationCanceledException)
        {
        }
        if (stalls > 0)
        {
            log($"6. realtime {serializer} {path}: {stalls} broadcasts were not delivered within 1 s");
        }
        double PerMessage(int i) => cpuFrom is null || delivered == 0 ? 0 : (cpuTo[i] - cpuFrom[i]) / delivered * 1e6;
        return new RealtimeResult(serializer, path, options.RealtimeWindow, delivered, options.Duration.TotalSeconds,
            delivered / options.Duration.TotalSeconds, LatencyStats.FromSamples(samples), PerMessage(0), relay ? PerMessage(1) : 0, PerMessage(2));
    }

    private static long SentTimestamp(ref Utf8JsonReader reader)
    {
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("sent"u8) && reader.Read())
            {
                return reader.GetInt64();
            }
        }
        return 0;
    }
}
