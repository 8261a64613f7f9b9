using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Gateway.Bench.Load;

/// <summary>A minimal Realtime (Phoenix) client over <see cref="ClientWebSocket"/>: join, broadcast, receive.</summary>
public sealed class PhoenixSocket : IDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _ref;

    private PhoenixSocket(ClientWebSocket socket, bool v2)
    {
        _socket = socket;
        V2 = v2;
    }

    public bool V2 { get; }

    public WebSocket Socket => _socket;

    /// <summary>Opens the socket; <paramref name="origin"/> and <paramref name="cookie"/> are what a browser on the gateway's origin sends.</summary>
    public static async Task<PhoenixSocket> ConnectAsync(Uri uri, bool v2, string? origin, string? cookie, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        if (cookie is not null)
        {
            socket.Options.SetRequestHeader("Cookie", cookie);
        }
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(uri, timeout.Token);
        return new PhoenixSocket(socket, v2);
    }

    public static Uri RealtimeUri(Uri baseUrl, string pathPrefix, string apiKey, bool v2) =>
        new($"ws://{baseUrl.Authority}{pathPrefix}/realtime/v1/websocket?apikey={Uri.EscapeDataString(apiKey)}&vsn={(v2 ? "2.0.0" : "1.0.0")}");

    /// <summary>Joins a public broadcast topic (no self-delivery, no acks) and waits for Realtime's ok.</summary>
    public async Task JoinAsync(string topic, string accessToken, CancellationToken ct)
    {
        var reference = NextRef();
        var payload = $$"""{"config":{"broadcast":{"ack":false,"self":false},"presence":{"key":"","enabled":false},"postgres_changes":[],"private":false},"access_token":{{JsonSerializer.Serialize(accessToken)}}}""";
        await SendTextAsync(Frame("1", reference, topic, "phx_join", payload), ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (true)
        {
            var (type, length) = await ReceiveAsync(timeout.Token);
            if (type == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"join of {topic}: socket closed ({_socket.CloseStatus} {_socket.CloseStatusDescription})");
            }
            if (type != WebSocketMessageType.Text)
            {
                continue;
            }
            var text = Encoding.UTF8.GetString(_buffer, 0, length);
            if (text.Contains("\"phx_reply\"", StringComparison.Ordinal) && text.Contains($"\"{reference}\"", StringComparison.Ordinal))
            {
                if (!text.Contains("\"ok\"", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"join of {topic} refused: {text}");
                }
                return;
            }
        }
    }

    /// <summary>A user broadcast as realtime-js sends it with a JSON payload (text frame in both serializers).</summary>
    public string BroadcastFrame(string topic, string eventName, string payloadJson) =>
        Frame("1", NextRef(), topic, "broadcast", $$"""{"type":"broadcast","event":"{{eventName}}","payload":{{payloadJson}}}""");

    public Task SendTextAsync(string frame, CancellationToken ct) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, ct);

    /// <summary>One whole message into the internal buffer; returns its type and length.</summary>
    public async Task<(WebSocketMessageType Type, int Length)> ReceiveAsync(CancellationToken ct)
    {
        var length = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer.AsMemory(length), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, 0);
            }
            length += result.Count;
            if (result.EndOfMessage)
            {
                return (result.MessageType, length);
            }
            if (length == _buffer.Length)
            {
                throw new InvalidOperationException("message larger than 64 KB");
            }
        }
    }

    public ReadOnlySpan<byte> Received(int length) => _buffer.AsSpan(0, length);

    /// <summary>
    /// The user payload of a broadcast as received: v2 binary kind 4 (topic, event, metadata, then JSON), or text in
    /// either serializer. Empty when the message is not a user broadcast.
    /// </summary>
    public static ReadOnlySpan<byte> BroadcastPayload(ReadOnlySpan<byte> message, WebSocketMessageType type, out JsonDocument? document)
    {
        document = null;
        if (type == WebSocketMessageType.Binary)
        {
            if (message.Length < 5 || message[0] != 4)
            {
                return default;
            }
            var offset = 5 + message[1] + message[2] + message[3];
            return offset <= message.Length ? message[offset..] : default;
        }
        if (message.IndexOf("\"broadcast\""u8) < 0)
        {
            return default;
        }
        document = JsonDocument.Parse(message.ToArray());
        var root = document.RootElement;
        var payload = root.ValueKind == JsonValueKind.Array ? root[4] : root.GetProperty("payload");
        return payload.TryGetProperty("payload", out var user) ? Encoding.UTF8.GetBytes(user.GetRawText()) : default;
    }

    private string Frame(string joinRef, string reference, string topic, string eventName, string payloadJson) => V2
        ? $$"""["{{joinRef}}","{{reference}}",{{JsonSerializer.Serialize(topic)}},"{{eventName}}",{{payloadJson}}]"""
        : $$"""{"topic":{{JsonSerializer.Serialize(topic)}},"event":"{{eventName}}","payload":{{payloadJson}},"ref":"{{reference}}","join_ref":"{{joinRef}}"}""";

    private string NextRef() => Interlocked.Increment(ref _ref).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _socket.Abort();
        _socket.Dispose();
    }
}
