using System.Net.Http.Json;

namespace AppHost.Tests;

/// <summary>OpenTelemetry as the dashboard receives it, here caught by an OTLP/HTTP collector inside the test.</summary>
[Collection(EmulatorAppHostCollection.Name)]
public sealed class TelemetryTests(EmulatorAppHostFixture host)
{
    [Fact]
    public async Task One_sign_in_is_one_trace_with_spans_from_the_proxy_and_the_sessionapi()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var ct = timeout.Token;
        using var browser = new BrowserLikeClient(host.ProxyUrl, host.AnonKey);
        var (_, credentials) = GatewayJourney.NewUser();
        using (var signUp = await browser.Http.PostAsJsonAsync("/supabase/auth/v1/signup", credentials, ct))
        {
            await HttpAssert.StatusAsync(HttpStatusCode.OK, signUp, ct);
        }
        // Spans of earlier tests' sign-ins are in the collector too: only this one counts (same machine, same clock).
        var signInStarted = DateTimeOffset.UtcNow.AddMilliseconds(-50);
        await GatewayJourney.SignInAsync(browser, credentials, ct);

        // The Proxy's server span for this sign-in names the trace; the SessionApi's spans for it must share that trace.
        ExportedSpan? signIn = null;
        List<ExportedSpan> trace = [];
        while (!ct.IsCancellationRequested)
        {
            var spans = host.Collector.Spans;
            signIn = spans.SingleOrDefault(s => s.Service == "proxy"
                && s.Start >= signInStarted
                && s.Attributes.GetValueOrDefault("url.path") == "/supabase/auth/v1/token"
                && s.Attributes.GetValueOrDefault("http.request.method") == "POST");
            trace = signIn is null ? [] : [.. spans.Where(s => s.TraceId == signIn.TraceId)];
            if (trace.Any(s => s.Service == "sessionapi") && trace.Any(s => s.Attributes.GetValueOrDefault("db.system") == "redis"))
            {
                break;
            }
            await Task.Delay(250, ct);
        }
        Assert.NotNull(signIn);
        var services = trace.Select(s => s.Service).Distinct().Order().ToList();
        Assert.Contains("proxy", services);
        Assert.Contains("sessionapi", services);
        // One trace: every other span of the sign-in hangs off a span of the same trace, down from the Proxy's.
        var ids = trace.Select(s => s.SpanId).ToHashSet();
        Assert.All(trace.Where(s => s != signIn), s => Assert.Contains(s.ParentSpanId, ids));

        // The SessionApi's Redis commands (StackExchange.Redis through Aspire's client integration) are part of it.
        Assert.Contains(trace, s => s.Service == "sessionapi" && s.Attributes.GetValueOrDefault("db.system") == "redis");
    }
}
