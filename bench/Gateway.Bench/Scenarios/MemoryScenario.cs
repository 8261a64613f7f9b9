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
    /// The sizes of what the Proxy's cache keeps per session (a ResolvedSession keyed by cookie), estimated from one
    /// resolve answer: .NET strings are UTF-16 (2 bytes a char + ~22 bytes header), JsonElements keep their UTF-8 text.
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, int>> EntryPartsAsync(SessionFactory sessions, BenchSession sample, CancellationToken ct)
    {
        var resolved = await sessions.ResolveAsync(sample, ct);
        static int Utf16(string? text) => text is null ? 0 : 22 + 2 * text.Length;
        static int Utf8(System.Text.Json.JsonElement element) => System.Text.Encoding.UTF8.GetByteCount(element.GetRawText());
        var view = resolved.Session;
        return new Dictionary<string, int>
        {
            ["Token.AccessToken (minted Supabase JWT, string)"] = Utf16(resolved.Token.AccessToken),
            ["Token.IdentityAssertion (SampleWeb JWT embedding sb_token, string)"] = Utf16(resolved.Token.IdentityAssertion),
            ["Session.User (JsonElement)"] = Utf8(view.User),
            ["Session.Amr (JsonElement)"] = Utf8(view.Amr),
            ["cookie value (cache key, string)"] = Utf16(sample.Cookie),
            ["Session id, user id, GoTrue session id, ip, user agent, aal (strings)"] =
                Utf16(view.Id) + Utf16(view.UserId) + Utf16(view.GoTrueSessionId) + Utf16(view.Ip) + Utf16(view.UserAgent) + Utf16(view.Aal),
        };
    }

    /// <summary>One GET per session through the Proxy (8 in flight); every one must be served (200).</summary>
    private static async Task UseOnceAsync(HttpClient http, Uri url, IReadOnlyList<BenchSession> sessions, CancellationToken ct)
    {
        var failures = 0;
        await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (session, token) =>
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
