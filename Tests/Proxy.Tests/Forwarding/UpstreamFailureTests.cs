using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Proxy.Forwarding;
using Proxy.Tests.Support;
using TestSupport;
using Yarp.ReverseProxy.Forwarder;

namespace Proxy.Tests.Forwarding;

/// <summary>Supabase (and SampleWeb) on a port where nothing listens: connect refused.</summary>
public sealed class DeadUpstreamHarness : ProxyHarness
{
    public static readonly string DeadUrl = $"http://127.0.0.1:{FreePort.Next()}";

    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Supabase:Url"] = DeadUrl,
        ["Gateway:SampleWebUrl"] = DeadUrl,
    };
}

/// <summary>Supabase accepts connections and never answers; the forwarding timeout is 1 s.</summary>
public sealed class HangingUpstreamHarness : ProxyHarness, IDisposable
{
    private readonly TcpListener _listener = StartSilentListener();
    private readonly List<Socket> _held = [];

    public HangingUpstreamHarness() => _ = HoldConnectionsAsync();

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Supabase:Url"] = Url,
        ["Gateway:UpstreamTimeoutSeconds"] = "1",
    };

    private static TcpListener StartSilentListener()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private async Task HoldConnectionsAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync();
                lock (_held)
                {
                    _held.Add(socket);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        lock (_held)
        {
            _held.ForEach(s => s.Dispose());
        }
    }
}

/// <summary>
/// Supabase unreachable or silent: the browser gets GoTrue's error JSON with 502 or 504 — never YARP's empty body,
/// a stack trace, or the upstream's address — on forwarded routes and on the intercepted auth endpoints alike.
/// </summary>
public sealed class UpstreamDownTests(DeadUpstreamHarness proxy) : IClassFixture<DeadUpstreamHarness>
{
    [Theory]
    [InlineData("/supabase/rest/v1/notes?select=*")]
    [InlineData("/supabase/storage/v1/object/list/avatars")]
    [InlineData("/supabase/auth/v1/user")]
    public async Task ForwardedRoutesAnswer502InGoTruesLegacyShape(string path)
    {
        using var response = await proxy.Client.GetAsync(path);
        var body = await AssertCleanJsonAsync(response, HttpStatusCode.BadGateway);
        Assert.Equal(502, body["code"]!.GetValue<int>());
        Assert.Equal("upstream_unavailable", body["error_code"]!.GetValue<string>());
        Assert.Contains("Supabase", body["msg"]!.GetValue<string>());
    }

    [Fact]
    public async Task AuthJsGetsTheVersionedShapeWithTheErrorCodeHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/supabase/rest/v1/notes");
        request.Headers.Add("X-Supabase-Api-Version", "2024-01-01");
        using var response = await proxy.Client.SendAsync(request);
        var body = await AssertCleanJsonAsync(response, HttpStatusCode.BadGateway);
        Assert.Equal("upstream_unavailable", body["code"]!.GetValue<string>());
        Assert.Equal("upstream_unavailable", response.Headers.GetValues("x-sb-error-code").Single());
    }

    [Fact]
    public async Task SignInAnswers502AndSetsNoCookie()
    {
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=password", json: new { email = "ann@example.com", password = "right" });
        using var response = await proxy.Client.SendAsync(request);
        var body = await AssertCleanJsonAsync(response, HttpStatusCode.BadGateway);
        Assert.Equal("upstream_unavailable", body["error_code"]!.GetValue<string>());
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task PagesAnswer502JsonWhenTheWebAppIsDown()
    {
        using var response = await proxy.Client.GetAsync("/account");
        var body = await AssertCleanJsonAsync(response, HttpStatusCode.BadGateway);
        Assert.Equal("upstream_unavailable", body["error_code"]!.GetValue<string>());
    }

    internal static async Task<JsonObject> AssertCleanJsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain("127.0.0.1", text);
        Assert.DoesNotContain("refused", text, StringComparison.OrdinalIgnoreCase);
        return JsonNode.Parse(text)!.AsObject();
    }
}

public sealed class UpstreamTimeoutTests(HangingUpstreamHarness proxy) : IClassFixture<HangingUpstreamHarness>
{
    [Fact]
    public async Task ASilentSupabaseGets504AfterTheConfiguredTimeout()
    {
        var watch = Stopwatch.StartNew();
        using var response = await proxy.Client.GetAsync("/supabase/rest/v1/notes");
        var body = await UpstreamDownTests.AssertCleanJsonAsync(response, HttpStatusCode.GatewayTimeout);
        Assert.Equal("upstream_timeout", body["error_code"]!.GetValue<string>());
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AnInterceptedSignInGets504AfterTheConfiguredTimeout()
    {
        var watch = Stopwatch.StartNew();
        using var request = proxy.Request(HttpMethod.Post, "/supabase/auth/v1/token?grant_type=password", json: new { email = "ann@example.com", password = "right" });
        using var response = await proxy.Client.SendAsync(request);
        var body = await UpstreamDownTests.AssertCleanJsonAsync(response, HttpStatusCode.GatewayTimeout);
        Assert.Equal("upstream_timeout", body["error_code"]!.GetValue<string>());
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
    }
}

public sealed class UpstreamErrorClassificationTests
{
    [Theory]
    [InlineData(ForwarderError.Request, 502, "upstream_unavailable")]
    [InlineData(ForwarderError.ResponseHeaders, 502, "upstream_unavailable")]
    [InlineData(ForwarderError.RequestBodyDestination, 502, "upstream_unavailable")]
    [InlineData(ForwarderError.NoAvailableDestinations, 502, "upstream_unavailable")]
    [InlineData(ForwarderError.RequestTimedOut, 504, "upstream_timeout")]
    public void FailuresBeforeTheResponseStartsAreReported(ForwarderError error, int status, string code)
    {
        var answer = UpstreamErrorResponses.Classify(error);
        Assert.Equal(status, answer?.Status);
        Assert.Equal(code, answer?.Code);
    }

    [Theory]
    [InlineData(ForwarderError.RequestCanceled)]
    [InlineData(ForwarderError.RequestBodyClient)]
    [InlineData(ForwarderError.ResponseBodyDestination)]
    [InlineData(ForwarderError.ResponseBodyClient)]
    public void ClientAbortsAndFailuresMidBodyAreLeftAlone(ForwarderError error) =>
        Assert.Null(UpstreamErrorResponses.Classify(error));
}
