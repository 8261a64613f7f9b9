using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Gateway.Bench.Load;
using Gateway.Bench.Report;
using Gateway.Bench.Stack;
using TestSupport;

namespace Gateway.Bench.Scenarios;

/// <summary>
/// Scenario 7: a user revokes another of their sessions ("sign out that device": <c>DELETE /edge/v1/sessions/{id}</c>
/// on the Proxy, with the other session's cookie). The revoked device had a warm (cached) session on that Proxy and a
/// joined Realtime socket on the second Proxy. Measured: is the revoked cookie's very next HTTP request refused, how
/// long until it is, and how long until the socket on the other instance is closed (4001).
/// </summary>
public sealed class RevocationScenario(BenchStack stack, BenchOptions options, Action<string> log)
{
    public async Task RunAsync(BenchResults results, SessionFactory sessions, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { Timeout = TimeSpan.FromSeconds(10) };
        var restUrl = new Uri(stack.Proxy.Url, "/supabase/rest/v1/posts?select=*");
        var requestTimes = new List<double>();
        var refusedAfterAck = new List<double>();
        var socketClosed = new List<double>();
        int firstRefused = 0, closedWith4001 = 0, notClosed = 0;
        long stale = 0;

        log($"7. revocation: {options.Revocations} revocations (revoke on one Proxy, socket held on the other)");
        for (var i = 0; i < options.Revocations; i++)
        {
            var userId = SessionFactory.NewUserId();
            var victim = await sessions.CreateAsync(userId, ct);
            var revoker = await sessions.CreateAsync(userId, ct);

            // The victim's session is warm on the Proxy (cached token) and holds a joined socket on the other Proxy.
            if (await StatusAsync(http, restUrl, victim, ct) != HttpStatusCode.OK)
            {
                throw new InvalidOperationException("the victim's session was not live before the revocation");
            }
            using var socket = await PhoenixSocket.ConnectAsync(
                PhoenixSocket.RealtimeUri(stack.EmulatorProxy.Url, "/supabase", LocalSupabaseKeys.AnonKey, v2: true), v2: true,
                BenchStack.OriginOf(stack.EmulatorProxy), victim.CookieHeader, ct);
            await socket.JoinAsync($"realtime:revoke-{i}", "placeholder", ct);
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
            giveUp.CancelAfter(TimeSpan.FromSeconds(5));
            var closed = WaitForCloseAsync(socket, giveUp.Token);

            var started = Stopwatch.GetTimestamp();
            using (var revoke = new HttpRequestMessage(HttpMethod.Delete, new Uri(stack.Proxy.Url, $"/edge/v1/sessions/{victim.PublicId}")))
            {
                revoke.Headers.Add("Cookie", revoker.CookieHeader);
                revoke.Headers.Add("Origin", BenchStack.OriginOf(stack.Proxy));
                using var response = await http.SendAsync(revoke, ct);
                if (response.StatusCode != HttpStatusCode.NoContent)
                {
                    throw new InvalidOperationException($"DELETE /edge/v1/sessions/{{id}} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                }
            }
            var acknowledged = Stopwatch.GetTimestamp();
            requestTimes.Add(Stopwatch.GetElapsedTime(started, acknowledged).TotalMilliseconds);

            // The revoked cookie's next requests: the first must already be refused.
            var first = true;
            while (true)
            {
                var status = await StatusAsync(http, restUrl, victim, ct);
                if (status == HttpStatusCode.Unauthorized)
                {
                    refusedAfterAck.Add(Stopwatch.GetElapsedTime(acknowledged).TotalMilliseconds);
                    firstRefused += first ? 1 : 0;
                    break;
                }
                stale++;
                first = false;
                if (Stopwatch.GetElapsedTime(acknowledged) > TimeSpan.FromSeconds(5))
                {
                    throw new InvalidOperationException($"the revoked session was still served ({(int)status}) 5 s after the revocation");
                }
            }

            var (closeTimestamp, status4001) = await closed;
            if (closeTimestamp is { } at)
            {
                socketClosed.Add(Stopwatch.GetElapsedTime(started, at).TotalMilliseconds);
                closedWith4001 += status4001 ? 1 : 0;
            }
            else
            {
                notClosed++;
            }
        }

        results.Revocation = new RevocationResult(options.Revocations, firstRefused, stale, LatencyStats.FromSamples(requestTimes),
            LatencyStats.FromSamples(refusedAfterAck), LatencyStats.FromSamples(socketClosed), closedWith4001, notClosed);
        log($"7. revocation: first request refused {firstRefused}/{options.Revocations} (stale answers {stale}); " +
            $"socket closed p50 {results.Revocation.SocketClosedAfterRequest.P50Ms:0.0} ms, p99 {results.Revocation.SocketClosedAfterRequest.P99Ms:0.0} ms, " +
            $"4001: {closedWith4001}, not closed: {notClosed}");
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, Uri url, BenchSession session, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("Cookie", session.CookieHeader);
        using var response = await http.SendAsync(request, ct);
        return response.StatusCode;
    }

    /// <summary>When the close frame arrived (null if it did not within the deadline) and whether it said 4001.</summary>
    private static async Task<(long? At, bool Is4001)> WaitForCloseAsync(PhoenixSocket socket, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                var (type, _) = await socket.ReceiveAsync(ct);
                if (type == WebSocketMessageType.Close)
                {
                    return (Stopwatch.GetTimestamp(), (int?)socket.Socket.CloseStatus == 4001);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            return (null, false);
        }
    }
}
