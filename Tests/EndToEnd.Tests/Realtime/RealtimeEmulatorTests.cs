using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EndToEnd.Tests.Infrastructure;
using TestSupport;

namespace EndToEnd.Tests.Realtime;

/// <summary>
/// The emulator's Realtime speaks to clients as Realtime does (docs/supabase-contract.md §4): the relay tests are only as good as
/// this. Talks to the emulator directly, without the Proxy.
/// </summary>
[Collection(RealtimeCollection.Name)]
public sealed class RealtimeEmulatorTests(RealtimeGatewayStack realtime)
{
    [Fact]
    public async Task Connect_requires_a_valid_jwt_apikey_and_maps_the_publishable_key_like_kong()
    {
        using var http = new HttpClient();
        foreach (var (apiKey, error) in new[]
        {
            ("garbage", "The token provided is not a valid JWT"),
            (Jwt(new { role = "anon" }), "Fields `role` and `exp` are required in JWT"),
            (Jwt(new { role = "anon", exp = Now() - 30 }), "Token has expired"),
            (Jwt(new { role = "anon", exp = Now() + 60 }, secret: "another-secret-that-is-at-least-32-characters"), "Failed to validate JWT signature"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Url("http", apiKey));
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.StartsWith(error, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        }

        using var socket = await ConnectAsync(LocalSupabaseKeys.PublishableKey);
        var reply = await JoinAsync(socket, "realtime:kong", new JsonObject { ["access_token"] = LocalSupabaseKeys.PublishableKey });
        Assert.Equal("ok", (string?)reply[4]!["status"]);
        // The sb_ access_token falls back to the connect token, which the gateway turned into the anon JWT.
        var join = await LastTokenAsync("realtime:kong", "join");
        Assert.Equal("anon", join.GetProperty("role").GetString());
    }

    [Fact]
    public async Task Join_token_choice_follows_realtime_user_token_wins_unless_access_token_is_an_sb_key()
    {
        using var socket = await ConnectAsync(LocalSupabaseKeys.AnonKey);
        var userToken = Jwt(new { role = "authenticated", sub = "from-user-token", exp = Now() + 60 });
        var accessToken = Jwt(new { role = "authenticated", sub = "from-access-token", exp = Now() + 60 });

        await JoinAsync(socket, "realtime:both", new JsonObject { ["access_token"] = accessToken, ["user_token"] = userToken });
        Assert.Equal("from-user-token", (await LastTokenAsync("realtime:both", "join")).GetProperty("sub").GetString());

        await JoinAsync(socket, "realtime:sb", new JsonObject { ["access_token"] = "sb_publishable_whatever", ["user_token"] = userToken });
        Assert.Equal("anon", (await LastTokenAsync("realtime:sb", "join")).GetProperty("role").GetString());

        var expired = await JoinAsync(socket, "realtime:expired", new JsonObject { ["access_token"] = Jwt(new { role = "authenticated", exp = Now() - 12 }) });
        Assert.Equal("error", (string?)expired[4]!["status"]);
        Assert.Matches(@"^InvalidJWTToken: Token has expired \d+ seconds ago$", (string?)expired[4]!["response"]!["reason"]);
    }

    [Fact]
    public async Task A_channel_whose_token_expires_gets_a_system_error_and_phx_close_unless_a_fresh_token_arrives()
    {
        using var socket = await ConnectAsync(LocalSupabaseKeys.AnonKey);
        await JoinAsync(socket, "realtime:kept", new JsonObject { ["access_token"] = Jwt(new { role = "authenticated", exp = Now() + 2 }) });
        await JoinAsync(socket, "realtime:lost", new JsonObject { ["access_token"] = Jwt(new { role = "authenticated", exp = Now() + 2 }) });
        var fresh = Jwt(new { role = "authenticated", exp = Now() + 60 });
        await SendAsync(socket, new JsonArray("1", "9", "realtime:kept", "access_token", new JsonObject { ["access_token"] = fresh }));

        var system = await ReceiveUntilAsync(socket, m => (string?)m[3] == "system", TimeSpan.FromSeconds(5));
        Assert.Equal("realtime:lost", (string?)system[2]);
        Assert.Equal("error", (string?)system[4]!["status"]);
        Assert.StartsWith("Token has expired", (string?)system[4]!["message"]);
        Assert.Equal("lost", (string?)system[4]!["channel"]);
        var close = await ReceiveUntilAsync(socket, m => (string?)m[3] == "phx_close", TimeSpan.FromSeconds(2));
        Assert.Equal("realtime:lost", (string?)close[2]);

        // The channel that got a fresh token is still joined: a broadcast to it is not "unmatched".
        await SendAsync(socket, new JsonArray("1", "10", "realtime:kept", "heartbeat-probe", new JsonObject()));
        await SendAsync(socket, new JsonArray(null, "11", "phoenix", "heartbeat", new JsonObject()));
        var next = await ReceiveUntilAsync(socket, m => (string?)m[1] is "10" or "11", TimeSpan.FromSeconds(2));
        Assert.Equal("11", (string?)next[1]);
    }

    private Uri Url(string scheme, string apiKey) =>
        new($"{scheme}://{realtime.EmulatorUrl.Authority}/realtime/v1/websocket?apikey={Uri.EscapeDataString(apiKey)}&vsn=2.0.0");

    private async Task<ClientWebSocket> ConnectAsync(string apiKey)
    {
        var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(Url("ws", apiKey), timeout.Token);
        return socket;
    }

    private static async Task<JsonArray> JoinAsync(WebSocket socket, string topic, JsonObject payload)
    {
        var reference = Guid.NewGuid().ToString("N")[..6];
        await SendAsync(socket, new JsonArray(reference, reference, topic, "phx_join", payload));
        return await ReceiveUntilAsync(socket, m => (string?)m[1] == reference, TimeSpan.FromSeconds(5));
    }

    private static Task SendAsync(WebSocket socket, JsonArray message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<JsonArray> ReceiveUntilAsync(WebSocket socket, Func<JsonArray, bool> match, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            if (result.MessageType == WebSocketMessageType.Text && JsonNode.Parse(buffer.AsSpan(0, result.Count)) is JsonArray message && match(message))
            {
                return message;
            }
        }
    }

    private async Task<JsonElement> LastTokenAsync(string topic, string source)
    {
        using var http = new HttpClient();
        var log = await http.GetFromJsonAsync<JsonElement>(new Uri(realtime.EmulatorUrl, $"/__emulator/realtime/tokens?topic={Uri.EscapeDataString(topic)}&source={source}"));
        return log.GetProperty("tokens").EnumerateArray().Last();
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static string Jwt(object claims, string secret = LocalSupabaseKeys.JwtSecret)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var unsigned = $"{B64("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray())}.{B64(JsonSerializer.SerializeToUtf8Bytes(claims))}";
        return $"{unsigned}.{B64(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(unsigned)))}";
    }
}
