using System.Net;
using Gateway.Bench.Diagnostics;
using Gateway.Bench.Report;
using Gateway.Bench.Stack;

namespace Gateway.Bench.Scenarios;

/// <summary>
/// Proxy memory per idle session: the Proxy's live managed heap (after a full GC we induce over EventPipe) and its
/// resident set, before and after N sessions were each used once through it (so each is in its session cache).
/// </summary>
public sealed class MemoryScenario(BenchStack stack, BenchOptions options, Action<string> log)
{
    public async Task RunAsync(BenchResults results, SessionFactory sessions, CancellationToken ct)
    {
        var count = options.IdleSessions;
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = 8 });
        var url = new Uri(stack.Proxy.Url, "/supabase/rest/v1/posts?select=*");

        // A first, unmeasured batch grows the connection pools (client → Proxy → SessionApi) to their working size.
        await UseOnceAsync(http, url, await sessions.CreateManyAsync(Math.Max(50, count / 10), parallelism: 8, ct), ct);

        log($"memory: creating {count} sessions");
        var created = await sessions.CreateManyAsync(count, parallelism: 8, ct);
        var pid = ServiceProcessIds.Find(stack.Proxy);
        var heapBefore = await HeapProbe.LiveHeapAfterFullGcAsync(pid, TimeSpan.FromSeconds(30));
        var rssBefore = ServiceProcessIds.ResidentBytes(pid);

        log("memory: one request per session through the Proxy");
        await UseOnceAsync(http, url, created, ct);

        // Let connection pools and the request burst's transient buffers settle before the second measurement.
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var heapAfter = await HeapProbe.LiveHeapAfterFullGcAsync(pid, TimeSpan.FromSeconds(30));
        var rssAfter = ServiceProcessIds.ResidentBytes(pid);
        results.Memory = new MemoryResult(count, heapBefore, heapAfter, rssBefore, rssAfter, await EntryPartsAsync(sessions, created[0], ct));
        log($"memory: {results.Memory.HeapBytesPerSession:N0} B managed heap and {results.Memory.RssBytesPerSession:N0} B RSS per cached session");
    }

    /// <summary>
    /// The sizes of what the Proxy's cache keeps per API-only session (a LiveSession keyed by the cookie's SHA-256),
    /// estimated from one resolve answer: .NET strings are UTF-16 (2 bytes a char + ~22 bytes header); object and
    /// dictionary-node sizes are those of the 64-bit runtime. User, amr and the identity assertion are not kept
    /// until a page or an /edge call asks for them.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, int>> EntryPartsAsync(SessionFactory sessions, BenchSession sample, CancellationToken ct)
    {
        var resolved = await sessions.ResolveAsync(sample, ct);
        static int Utf16(string? text) => text is null ? 0 : 22 + 2 * text.Length;
        return new Dictionary<string, int>
        {
            ["\"Bearer <minted Supabase JWT>\" (string, built once per token)"] = Utf16("Bearer " + resolved.Token.AccessToken),
            ["session id (string, shared by the entry and the revocation index)"] = Utf16(resolved.Session.Id),
            ["LiveSession object (3 refs, 3 × long ticks)"] = 64,
            ["entry node: SHA-256 key (32 B struct) → LiveSession"] = 72,
            ["revocation index node: session id → SHA-256 key"] = 72,
        };
    }

    /// <summary>One GET per session through the Proxy (8 in flight unless told); every one must be served (200).</summary>
    internal static async Task UseOnceAsync(HttpClient http, Uri url, IReadOnlyList<BenchSession> sessions, CancellationToken ct, int parallelism = 8)
    {
        var failures = 0;
        await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (session, token) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Add("Cookie", session.CookieHeader);
            using var response = await http.SendAsync(request, token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Interlocked.Increment(ref failures);
            }
        });
        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} of {sessions.Count} session requests through the Proxy failed");
        }
    }
}
