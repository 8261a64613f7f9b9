using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Hardening;

/// <summary>
/// The hostile-input battery against the real processes: every row gets its exact status, and no answer carries a
/// stack trace, a JWT, or the session cookie's value; rows with a forged credential also check what Supabase saw.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class HardeningBatteryTests(SharedGatewayStack stack, ITestOutputHelper output)
{
    private static readonly ConcurrentDictionary<TestStack, Task<BatteryInput>> Inputs = new();

    public static TheoryData<string> Rows => [.. HostileInputs.All.Select(c => c.Id)];

    public static TheoryData<string> RedirectRows => [.. HostileInputs.OpenRedirects.Select(c => c.Id)];

    public static TheoryData<string, string> JoinTokens => new()
    {
        { "alg-none", HostileTokens.AlgNone() },
        { "alg-none-mixed-case", HostileTokens.AlgNoneMixedCase() },
        { "hs256-real-secret-service-role", HostileTokens.RealSecretServiceRole() },
        { "es256-foreign-key", HostileTokens.Es256Foreign("test-identity-1") },
        { "hs-es-confusion", HostileTokens.HsWithPublicKeyAsSecret("test-identity-1") },
    };

    [Fact]
    public void TheBatteryHasAtLeastSixtyRows()
    {
        var size = HostileInputs.All.Count + HostileInputs.OpenRedirects.Count + JoinTokens.Count;
        output.WriteLine($"Hardening battery: {HostileInputs.All.Count} HTTP rows + {HostileInputs.OpenRedirects.Count} open-redirect rows + " +
            $"{JoinTokens.Count} realtime join rows = {size} hostile inputs.");
        Console.WriteLine($"[hardening] battery size: {size}");
        Assert.True(size >= 60, $"only {size} rows");
        Assert.Equal(HostileInputs.All.Count, HostileInputs.All.Select(c => c.Id).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public Task HostileInputGetsItsExactStatusAndLeaksNothing(string id) => RunAsync(HostileInputs.All.Single(c => c.Id == id));

    [Theory]
    [MemberData(nameof(RedirectRows))]
    public Task OpenRedirectsAreRefused(string id) => RunAsync(HostileInputs.OpenRedirects.Single(c => c.Id == id));

    [Theory]
    [MemberData(nameof(JoinTokens))]
    public async Task ForgedTokensInRealtimeJoinsNeverReachRealtime(string kind, string forged)
    {
        var input = await InputAsync();
        foreach (var withCookie in new[] { false, true })
        {
            var topic = $"battery-{kind}-{Guid.NewGuid():N}";
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Origin", stack.PublicOrigin);
            if (withCookie)
            {
                socket.Options.SetRequestHeader("Cookie", "sb-session=" + input.Cookie);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await socket.ConnectAsync(new Uri($"ws://{stack.ProxyUrl.Authority}/supabase/realtime/v1/websocket?apikey={LocalSupabaseKeys.AnonKey}&vsn=2.0.0"), timeout.Token);
            var join = new JsonArray("1", "1", "realtime:" + topic, "phx_join",
                new JsonObject { ["config"] = new JsonObject { ["private"] = false }, ["access_token"] = forged }).ToJsonString();
            await socket.SendAsync(Encoding.UTF8.GetBytes(join), WebSocketMessageType.Text, true, timeout.Token);
            var reply = await ReceiveTextAsync(socket, timeout.Token);
            Assert.Contains("phx_reply", reply, StringComparison.Ordinal);
            Assert.DoesNotContain(forged, reply, StringComparison.Ordinal);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

            using var emulator = new HttpClient { BaseAddress = stack.EmulatorUrl };
            var seen = (await emulator.GetFromJsonAsync<JsonObject>($"/__emulator/realtime/tokens?topic={topic}"))!["tokens"]!.AsArray();
            Assert.NotEmpty(seen!);
            Assert.DoesNotContain(seen!, e => e?["token"]?.GetValue<string>() == forged);
            output.WriteLine($"{kind} (cookie: {withCookie}): Realtime saw {string.Join(", ", seen!.Select(e => e?["role"]?.ToString() ?? "?"))}");
        }
    }

    private async Task RunAsync(HostileCase row)
    {
        var input = await InputAsync();
        var request = row.Build(input);
        var server = row.Target == BatteryTarget.SampleWeb ? stack.SampleWeb!.Url : stack.ProxyUrl;
        if (row.Target == BatteryTarget.Proxy)
        {
            request = request with { Headers = [.. request.Headers, ("X-Battery-Row", row.Id)] };
        }
        using var emulator = new HttpClient { BaseAddress = stack.EmulatorUrl };
        var after = await LastSeqAsync(emulator);
        if (row.Fault is { } fault)
        {
            using var set = await emulator.PostAsJsonAsync("/__emulator/faults", new { path = fault.Path, mode = fault.Mode });
            set.EnsureSuccessStatusCode();
        }
        RawResponse response;
        try
        {
            response = await RawHttp.SendAsync(server, request, TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (row.Fault is not null)
            {
                (await emulator.DeleteAsync("/__emulator/faults")).EnsureSuccessStatusCode();
            }
        }
        output.WriteLine($"{row.Id}: {response.Status} {Truncate(response.Body)}");

        Assert.Equal(row.Status, response.Status);
        var everything = response.Body + "\n" + string.Join("\n", response.Headers.Select(h => $"{h.Name}: {h.Value}"));
        Assert.DoesNotContain("eyJ", everything, StringComparison.Ordinal);
        Assert.DoesNotContain(input.Cookie.Split('.')[0], everything, StringComparison.Ordinal);
        Assert.DoesNotContain(input.Cookie.Split('.')[^1], everything, StringComparison.Ordinal);
        Assert.False(StackTrace().IsMatch(everything), $"{row.Id}: the answer looks like it carries a stack trace");
        foreach (var setCookie in response.Values("Set-Cookie").Where(v => v.StartsWith("sb-session=", StringComparison.Ordinal)))
        {
            Assert.StartsWith("sb-session=;", setCookie); // only ever cleared by a hostile request, never set
        }
        if (response.Status >= 400 && row.Target == BatteryTarget.Proxy && response.Header("Content-Type") is { } type && type.Contains("json", StringComparison.Ordinal))
        {
            // Refusals are GoTrue-style JSON: legacy {code,error_code,msg} or versioned {code,message}.
            var body = JsonNode.Parse(response.Body)!.AsObject();
            Assert.True(body.ContainsKey("error_code") || body.ContainsKey("message") || body.ContainsKey("msg"), $"{row.Id}: {response.Body}");
        }

        if (row.UpstreamMustNotSee is { } secret)
        {
            var value = secret(input);
            var logged = (await LoggedAsync(emulator, after)).Where(r => r["headers"]?["x-battery-row"]?.GetValue<string>() == row.Id).ToList();
            foreach (var entry in logged)
            {
                Assert.DoesNotContain(value, entry.ToJsonString(), StringComparison.Ordinal);
            }
        }
    }

    private Task<BatteryInput> InputAsync() => Inputs.GetOrAdd(stack, async s =>
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = s.ProxyUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/supabase/auth/v1/signup")
        {
            Content = JsonContent.Create(new { email = $"battery-{Guid.NewGuid():N}@example.com", password = "correct-horse" }),
        };
        request.Headers.Add("Origin", s.PublicOrigin);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sb-session=", StringComparison.Ordinal)).Split(';')[0]["sb-session=".Length..];
        var placeholder = (await response.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
        return new BatteryInput(cookie, placeholder, s.PublicOrigin);
    });

    private static async Task<long> LastSeqAsync(HttpClient emulator) =>
        (await LoggedAsync(emulator, 0)).Select(r => r["seq"]!.GetValue<long>()).DefaultIfEmpty(0).Max();

    private static async Task<List<JsonNode>> LoggedAsync(HttpClient emulator, long after) =>
        [.. (await emulator.GetFromJsonAsync<JsonArray>($"/__emulator/requests?after={after}"))!.OfType<JsonNode>()];

    private static async Task<string> ReceiveTextAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return "";
            }
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                var text = Encoding.UTF8.GetString(message.ToArray());
                if (text.Contains("phx_reply", StringComparison.Ordinal))
                {
                    return text;
                }
                message.SetLength(0);
            }
        }
    }

    private static string Truncate(string text) => text.Length > 200 ? text[..200] + "…" : text;

    [GeneratedRegex(@"(\bat [A-Za-z_][\w.`<>]*\.[\w<>]+\()|(Exception:)|(\.cs:line)|(panic:)|(\.go:\d+)|(Traceback)")]
    private static partial Regex StackTrace();
}
