using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Realtime;

/// <summary>
/// The official supabase-js (Node) talking Realtime through the Proxy to the emulator, with real services: broadcast in
/// both serializers, token rotation over several short lifetimes, revocation across Proxy instances, origin checks and
/// hostile frames.
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class RealtimeRelayEndToEndTests(RealtimeStack realtime, ITestOutputHelper output)
{
    private GatewayStack Stack => realtime.Stack;

    [Theory]
    [InlineData(null)]      // supabase-js default: 2.0.0 (JSON arrays, binary broadcasts)
    [InlineData("1.0.0")]
    public async Task A_signed_in_subscriber_receives_broadcasts_from_another_client(string? vsn)
    {
        var result = await Stack.RunNodeAsync("realtime-broadcast.mjs", new
        {
            vsn,
            durationMs = 1500,
            intervalMs = 150,
            receiver = new { email = Email("receiver") },
            sender = new { email = Email("sender") },
        });

        Assert.True(result.ExitCode == 0, result.ToString());
        var outcome = result.Output;
        var sent = outcome.GetProperty("sent").GetInt32();
        Assert.True(sent >= 5, result.ToString());
        Assert.Equal(sent, outcome.GetProperty("received").GetInt32());
        Assert.Equal(["SUBSCRIBED"], outcome.GetProperty("receiverStatuses").EnumerateArray().Select(s => s.GetString()));

        // What Realtime saw for this channel: only tokens the gateway minted for the two users, never the
        // placeholders supabase-js holds.
        var tokens = await TokensAsync(outcome.GetProperty("topic").GetString()!);
        var joins = tokens.Where(t => t.GetProperty("source").GetString() == "join").ToList();
        Assert.Equal(2, joins.Count);
        Assert.All(tokens, t =>
        {
            Assert.True(t.GetProperty("accepted").GetBoolean(), t.ToString());
            Assert.Equal("authenticated", t.GetProperty("role").GetString());
        });
        Assert.Contains(joins, t => t.GetProperty("sub").GetString() == outcome.GetProperty("receiverUser").GetString());
    }

    [Fact]
    public async Task A_channel_stays_joined_over_several_token_lifetimes_because_the_relay_rotates_tokens()
    {
        var duration = TimeSpan.FromSeconds(RealtimeStack.JwtLifetimeSeconds * 3);
        var result = await Stack.RunNodeAsync("realtime-broadcast.mjs", new
        {
            durationMs = (int)duration.TotalMilliseconds,
            intervalMs = 250,
            receiver = new { email = Email("rotating") },
            sender = new { email = Email("rotating-sender") },
        });

        Assert.True(result.ExitCode == 0, result.ToString());
        var outcome = result.Output;
        Assert.True(outcome.GetProperty("sent").GetInt32() == outcome.GetProperty("received").GetInt32(), result.ToString());
        Assert.Equal("joined", outcome.GetProperty("receiverState").GetString());
        Assert.Equal(["SUBSCRIBED"], outcome.GetProperty("receiverStatuses").EnumerateArray().Select(s => s.GetString()));
        Assert.True(outcome.GetProperty("maxGapMs").GetInt32() < 1500, $"a silence of {outcome.GetProperty("maxGapMs")} ms");

        var receiver = outcome.GetProperty("receiverUser").GetString();
        var rotated = (await TokensAsync(outcome.GetProperty("topic").GetString()!))
            .Where(t => t.GetProperty("source").GetString() == "access_token" && t.GetProperty("sub").GetString() == receiver)
            .ToList();
        var expiries = rotated.Select(t => t.GetProperty("exp").GetInt64()).ToList();
        output.WriteLine($"{rotated.Count} rotated tokens for the receiver over {duration.TotalSeconds} s; exp: {string.Join(", ", expiries)}");
        Assert.True(rotated.Count >= 3, $"only {rotated.Count} rotations in {duration.TotalSeconds} s");
        Assert.All(rotated, t => Assert.True(t.GetProperty("accepted").GetBoolean(), t.ToString()));
        Assert.Equal(expiries.Order(), expiries);
        Assert.Equal(rotated.Count, rotated.Select(t => t.GetProperty("token").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task Revoking_through_one_proxy_closes_the_socket_held_by_another_within_a_second()
    {
        var result = await Stack.RunNodeAsync("realtime-revocation.mjs", new
        {
            email = Email("revoked"),
            revokeProxyUrl = Stack.ProxyUrl.ToString().TrimEnd('/'),
            revokeOrigin = Stack.PublicOrigin,
            socketProxyUrl = realtime.SecondProxy.Url.ToString().TrimEnd('/'),
            socketOrigin = realtime.SecondProxyOrigin,
        });

        Assert.True(result.ExitCode == 0, result.ToString());
        var outcome = result.Output;
        var latency = outcome.GetProperty("latencyFromRequestMs");
        output.WriteLine($"revocation → socket closed on the other proxy after {latency} ms " +
            $"(sign-out request took {outcome.GetProperty("revokeRequestMs")} ms)");
        Assert.Equal(4001, outcome.GetProperty("closeCode").GetInt32());
        Assert.Equal("session revoked", outcome.GetProperty("closeReason").GetString());
        Assert.True(latency.GetInt32() < 1000, result.ToString());
        // supabase-js reconnects; the ended session is refused, never downgraded to anonymous.
        Assert.Contains(outcome.GetProperty("reconnectErrors").EnumerateArray(), e => e.GetString()!.Contains("401", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upgrades_from_a_foreign_origin_are_refused_with_403()
    {
        var error = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(origin: "http://evil.example"));
        Assert.Contains("403", error.Message);

        using var http = new HttpClient();
        using var request = UpgradeRequest("http://evil.example");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("websocket_origin_not_allowed", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Garbage_and_oversized_frames_end_cleanly_and_the_proxy_keeps_serving()
    {
        string[] garbage = ["}{", "[1,2,3]", """["1","1","realtime:x","phx_join",""", """{"event":"phx_join","payload":{"access_token":"a","access_token":"b"}}"""];
        foreach (var text in garbage)
        {
            using var socket = await ConnectAsync();
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
            await AssertClosedCleanlyOrAliveAsync(socket, text);
        }

        using (var binary = await ConnectAsync())
        {
            await binary.SendAsync(new byte[] { 0xFF, 0x00, 0x13, 0x37 }, WebSocketMessageType.Binary, true, CancellationToken.None);
            await AssertClosedCleanlyOrAliveAsync(binary, "binary junk");
        }

        using (var oversized = await ConnectAsync())
        {
            var huge = new byte[(1024 * 1024) + 1];
            huge.AsSpan().Fill((byte)'x');
            await oversized.SendAsync(huge, WebSocketMessageType.Text, true, CancellationToken.None);
            var message = await ReceiveAsync(oversized);
            Assert.Equal(WebSocketMessageType.Close, message.Type);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, oversized.CloseStatus);
        }

        // Still serving: liveness, and a fresh anonymous socket answers a heartbeat.
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(Stack.ProxyUrl, "/alive"))).StatusCode);
        using var healthy = await ConnectAsync();
        Assert.True(await HeartbeatAnsweredAsync(healthy));
        Assert.DoesNotContain("Unhandled exception", Stack.Proxy.RecentOutput, StringComparison.OrdinalIgnoreCase);
    }

    private async Task AssertClosedCleanlyOrAliveAsync(ClientWebSocket socket, string what)
    {
        // Realtime may drop a socket it cannot decode; either way the close is a proper close frame, or the
        // socket still answers a heartbeat.
        try
        {
            if (!await HeartbeatAnsweredAsync(socket))
            {
                Assert.Equal(WebSocketState.CloseReceived, socket.State);
                Assert.NotNull(socket.CloseStatus);
                output.WriteLine($"{what}: closed with {(int)socket.CloseStatus!} {socket.CloseStatusDescription}");
            }
            else
            {
                output.WriteLine($"{what}: passed, socket still answers heartbeats");
            }
        }
        catch (WebSocketException exception)
        {
            Assert.Fail($"{what}: the socket was dropped without a close frame ({exception.Message})");
        }
    }

    /// <summary>Sends a v2 heartbeat; true when its reply arrives, false when the socket closes instead.</summary>
    private static async Task<bool> HeartbeatAnsweredAsync(ClientWebSocket socket)
    {
        if (socket.State != WebSocketState.Open)
        {
            return false;
        }
        try
        {
            await socket.SendAsync("""[null,"hb-1","phoenix","heartbeat",{}]"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            return false;
        }
        while (true)
        {
            var message = await ReceiveAsync(socket);
            if (message.Type == WebSocketMessageType.Close)
            {
                return false;
            }
            if (message.Type == WebSocketMessageType.Text && Encoding.UTF8.GetString(message.Data).Contains("\"hb-1\"", StringComparison.Ordinal))
            {
                return true;
            }
        }
    }

    private async Task<ClientWebSocket> ConnectAsync(string? origin = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", origin ?? Stack.PublicOrigin);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(RealtimeUri("ws"), timeout.Token);
        return socket;
    }

    private HttpRequestMessage UpgradeRequest(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, RealtimeUri("http"));
        request.Headers.Add("Connection", "Upgrade");
        request.Headers.Add("Upgrade", "websocket");
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        request.Headers.Add("Origin", origin);
        return request;
    }

    private Uri RealtimeUri(string scheme) =>
        new($"{scheme}://{Stack.ProxyUrl.Authority}/supabase/realtime/v1/websocket?apikey={LocalSupabaseKeys.AnonKey}&vsn=2.0.0");

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);
        return (result.MessageType, message.ToArray());
    }

    private async Task<List<JsonElement>> TokensAsync(string topic)
    {
        using var http = new HttpClient();
        var log = await http.GetFromJsonAsync<JsonElement>(new Uri(Stack.EmulatorUrl, $"/__emulator/realtime/tokens?topic={Uri.EscapeDataString(topic)}"));
        return [.. log.GetProperty("tokens").EnumerateArray()];
    }

    private static string Email(string who) => $"{who}-{Guid.NewGuid():N}@realtime.test";
}
