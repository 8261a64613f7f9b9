using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace SupabaseEmulator.Realtime;

/// <summary>
/// One client websocket of the emulator, behaving like Realtime's Phoenix socket (docs/supabase-contract.md §4.3, §4.4): heartbeats,
/// joins with Realtime's token choice, broadcasts, minimal presence, access_token updates and channel expiry.
/// </summary>
public sealed class RealtimeSocket
{
    private const int MaxMessageBytes = 4 * 1024 * 1024;
    private static readonly TimeSpan ExpiryCheckInterval = TimeSpan.FromMilliseconds(250);

    private readonly WebSocket _socket;
    private readonly bool _v2;
    private readonly string _connectToken;
    private readonly RealtimeHub _hub;
    private readonly RealtimeJwt _jwt;
    private readonly RealtimeTokenLog _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, JoinedChannel> _channels = new(StringComparer.Ordinal);
    private readonly Channel<Outgoing> _outbox = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(10_000) { SingleReader = true });
    private int _closing;

    public RealtimeSocket(WebSocket socket, bool v2, string connectToken, RealtimeHub hub, RealtimeJwt jwt, RealtimeTokenLog tokens, TimeProvider time, ILogger logger)
    {
        _socket = socket;
        _v2 = v2;
        _connectToken = connectToken;
        _hub = hub;
        _jwt = jwt;
        _tokens = tokens;
        _time = time;
        _logger = logger;
    }

    private sealed class JoinedChannel(string topic, string? joinRef, string token, long? exp, bool self, bool ack, string presenceKey)
    {
        public string Topic { get; } = topic;
        public string? JoinRef { get; } = joinRef;
        public string Token { get; set; } = token;
        public long? Exp { get; set; } = exp;
        public bool Self { get; } = self;
        public bool Ack { get; } = ack;
        public string PresenceKey { get; } = presenceKey;
        public bool Tracked { get; set; }
        public string Name => Topic.StartsWith("realtime:", StringComparison.Ordinal) ? Topic["realtime:".Length..] : Topic;
    }

    private sealed record Outgoing(byte[]? Data, WebSocketMessageType Type, WebSocketCloseStatus? Close = null, string? Reason = null);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _hub.Connected(this);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = WriteLoopAsync(stop.Token);
        var expiry = ExpiryLoopAsync(stop.Token);
        try
        {
            await ReadLoopAsync(stop.Token);
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException)
        {
            _logger.LogDebug(exception, "Realtime emulator socket dropped");
        }
        finally
        {
            foreach (var channel in _channels.Values)
            {
                RemoveChannel(channel);
            }
            _hub.Disconnected(this);
            _outbox.Writer.TryComplete();
            await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(2), _time, CancellationToken.None));
            await stop.CancelAsync();
            await Task.WhenAll(writer, expiry).ContinueWith(static _ => { }, TaskScheduler.Default);
            _socket.Abort();
        }
    }

    public bool WantsOwnBroadcasts(string topic) => _channels.TryGetValue(topic, out var channel) && channel.Self;

    public void DeliverBroadcast(string topic, UserBroadcast broadcast)
    {
        if (_v2 && PhoenixCodec.EncodeUserBroadcast(topic, broadcast) is { } frame)
        {
            Enqueue(new Outgoing(frame, WebSocketMessageType.Binary));
        }
        else if (broadcast.Binary is null)
        {
            DeliverPush(topic, "broadcast", PhoenixCodec.BroadcastPayload(broadcast));
        }
    }

    public void DeliverPush(string topic, string eventName, JsonNode? payload) =>
        Send(null, null, topic, eventName, payload);

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var received = await _socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    Enqueue(new Outgoing(null, WebSocketMessageType.Close, _socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, _socket.CloseStatusDescription));
                    return;
                }
                length += received.Count;
                if (length > MaxMessageBytes)
                {
                    CloseSocket(WebSocketCloseStatus.MessageTooBig, "message too big");
                    length = 0;
                    continue;
                }
                if (!received.EndOfMessage)
                {
                    continue;
                }
                if (Volatile.Read(ref _closing) == 0)
                {
                    Handle(buffer.AsSpan(0, length), received.MessageType);
                }
                length = 0;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Handle(ReadOnlySpan<byte> data, WebSocketMessageType type)
    {
        PhoenixMessage? message;
        if (type == WebSocketMessageType.Binary)
        {
            // Phoenix's V1 serializer has no binary frames; the V2 one understands the user broadcast push (kind 3).
            message = _v2 ? PhoenixCodec.DecodeBinary(data) : null;
        }
        else
        {
            message = PhoenixCodec.DecodeText(data, _v2);
        }
        if (message is null)
        {
            // Phoenix cannot decode it and the socket process dies: the client sees the connection close.
            CloseSocket(WebSocketCloseStatus.InvalidPayloadData, "could not decode message");
            return;
        }

        if (message is { Topic: "phoenix", Event: "heartbeat" })
        {
            Reply(message, "ok", new JsonObject());
            return;
        }
        if (message.Event == "phx_join")
        {
            Join(message);
            return;
        }
        if (!_channels.TryGetValue(message.Topic, out var channel))
        {
            if (message.Event == "access_token")
            {
                RecordToken("access_token", message.Topic, (message.Payload as JsonObject)?["access_token"] is JsonValue v && v.TryGetValue<string>(out var t) ? t : null, null);
            }
            Reply(message, "error", new JsonObject { ["reason"] = "unmatched topic" });
            return;
        }

        switch (message.Event)
        {
            case "phx_leave":
                Reply(message, "ok", new JsonObject());
                if (_channels.TryRemove(new KeyValuePair<string, JoinedChannel>(channel.Topic, channel)))
                {
                    RemoveChannel(channel);
                    Send(channel.JoinRef, channel.JoinRef, channel.Topic, "phx_close", new JsonObject());
                }
                break;
            case "access_token":
                UpdateToken(channel, message.Payload as JsonObject);
                break;
            case "broadcast" when message.Broadcast is { } broadcast:
                _hub.Broadcast(channel.Topic, broadcast, this);
                if (channel.Ack)
                {
                    Reply(message, "ok", new JsonObject());
                }
                break;
            case "presence":
                Presence(channel, message);
                break;
            default:
                break; // Realtime ignores events it has no handler for
        }
    }

    private void Join(PhoenixMessage message)
    {
        var payload = message.Payload as JsonObject ?? [];
        var config = payload["config"] as JsonObject ?? [];
        var accessToken = Text(payload["access_token"]);
        var userToken = Text(payload["user_token"]);

        // Realtime's choice (realtime_channel.ex): access_token else user_token; an sb_ key means "use the connect
        // token"; otherwise a user_token wins over the access_token.
        var chosen = accessToken ?? userToken;
        string token;
        if (chosen is null || chosen.StartsWith("sb_", StringComparison.Ordinal))
        {
            token = _connectToken;
        }
        else
        {
            token = userToken ?? accessToken!;
        }

        var check = _jwt.Check(token);
        RecordToken("join", message.Topic, token, check);
        if (!check.IsValid)
        {
            Reply(message, "error", new JsonObject { ["reason"] = check.Reason });
            return;
        }

        var isPrivate = config["private"] is JsonValue p && p.TryGetValue<bool>(out var priv) && priv;
        var role = Text(check.Claims!["role"]);
        if (isPrivate && role is not ("authenticated" or "service_role"))
        {
            Reply(message, "error", new JsonObject
            {
                ["reason"] = $"Unauthorized: You do not have permissions to read from this Channel topic: {message.Topic.Replace("realtime:", "", StringComparison.Ordinal)}",
            });
            return;
        }

        if (_channels.TryRemove(message.Topic, out var previous))
        {
            // Joining a topic twice closes the first join (Phoenix duplicate join).
            RemoveChannel(previous);
            Send(previous.JoinRef, previous.JoinRef, previous.Topic, "phx_close", new JsonObject());
        }

        var broadcastConfig = config["broadcast"] as JsonObject;
        var presenceConfig = config["presence"] as JsonObject;
        var presenceKey = Text(presenceConfig?["key"]) is { Length: > 0 } key ? key : Guid.NewGuid().ToString();
        var channel = new JoinedChannel(message.Topic, message.JoinRef ?? message.Ref, token, check.Exp,
            self: Bool(broadcastConfig?["self"]), ack: Bool(broadcastConfig?["ack"]), presenceKey);

        var changes = new JsonArray();
        if (config["postgres_changes"] is JsonArray requested)
        {
            foreach (var binding in requested.OfType<JsonObject>())
            {
                var echoed = (JsonObject)binding.DeepClone();
                echoed["id"] = BindingId(binding);
                changes.Add(echoed);
            }
        }

        _channels[message.Topic] = channel;
        _hub.Subscribe(message.Topic, this);
        Reply(message, "ok", new JsonObject { ["postgres_changes"] = changes });
        if (changes.Count > 0)
        {
            DeliverPush(message.Topic, "system", new JsonObject
            {
                ["extension"] = "postgres_changes",
                ["status"] = "ok",
                ["message"] = "Subscribed to PostgreSQL",
                ["channel"] = channel.Name,
            });
        }
        if (Bool(presenceConfig?["enabled"]))
        {
            DeliverPush(message.Topic, "presence_state", _hub.PresenceState(message.Topic));
        }
    }

    /// <summary>access_token event: never answered; null, sb_ keys and the current token are ignored; a bad token stops the channel.</summary>
    private void UpdateToken(JoinedChannel channel, JsonObject? payload)
    {
        var token = Text(payload?["access_token"]);
        if (token is null || token.StartsWith("sb_", StringComparison.Ordinal) || token == channel.Token)
        {
            RecordToken("access_token", channel.Topic, token, null, ignored: true);
            return;
        }
        var check = _jwt.Check(token);
        RecordToken("access_token", channel.Topic, token, check);
        if (check.IsValid)
        {
            channel.Token = token;
            channel.Exp = check.Exp;
        }
        else
        {
            Stop(channel, check.Error!);
        }
    }

    private void Presence(JoinedChannel channel, PhoenixMessage message)
    {
        var payload = message.Payload as JsonObject;
        switch (Text(payload?["event"]))
        {
            case "track":
                channel.Tracked = true;
                _hub.Track(channel.Topic, channel.PresenceKey, payload?["payload"]);
                break;
            case "untrack":
                channel.Tracked = false;
                _hub.Untrack(channel.Topic, channel.PresenceKey);
                break;
        }
        Reply(message, "ok", new JsonObject());
    }

    /// <summary>Each channel re-checks its token; an expired one gets a system error and phx_close (the socket stays open).</summary>
    private async Task ExpiryLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(ExpiryCheckInterval, _time);
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = _jwt.Now;
                foreach (var channel in _channels.Values)
                {
                    if (channel.Exp is { } exp && exp <= now)
                    {
                        Stop(channel, $"Token has expired {now - exp} seconds ago");
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Stop(JoinedChannel channel, string reason)
    {
        if (!_channels.TryRemove(new KeyValuePair<string, JoinedChannel>(channel.Topic, channel)))
        {
            return;
        }
        RemoveChannel(channel);
        DeliverPush(channel.Topic, "system", new JsonObject
        {
            ["extension"] = "system",
            ["status"] = "error",
            ["message"] = reason,
            ["channel"] = channel.Name,
        });
        Send(channel.JoinRef, channel.JoinRef, channel.Topic, "phx_close", new JsonObject());
    }

    private void RemoveChannel(JoinedChannel channel)
    {
        _hub.Unsubscribe(channel.Topic, this);
        if (channel.Tracked)
        {
            channel.Tracked = false;
            _hub.Untrack(channel.Topic, channel.PresenceKey);
        }
    }

    private void Reply(PhoenixMessage to, string status, JsonObject response) =>
        Send(to.JoinRef, to.Ref, to.Topic, "phx_reply", new JsonObject { ["status"] = status, ["response"] = response });

    private void Send(string? joinRef, string? reference, string topic, string eventName, JsonNode? payload) =>
        Enqueue(new Outgoing(PhoenixCodec.EncodeText(_v2, joinRef, reference, topic, eventName, payload), WebSocketMessageType.Text));

    private void CloseSocket(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            Enqueue(new Outgoing(null, WebSocketMessageType.Close, status, reason));
        }
    }

    private void Enqueue(Outgoing outgoing)
    {
        if (!_outbox.Writer.TryWrite(outgoing) && outgoing.Type != WebSocketMessageType.Close)
        {
            _logger.LogDebug("Realtime emulator: a slow client's queue is full; dropping the socket");
            _socket.Abort();
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var outgoing in _outbox.Reader.ReadAllAsync(cancellationToken))
            {
                if (outgoing.Close is { } status)
                {
                    if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(status, outgoing.Reason, cancellationToken);
                    }
                    continue;
                }
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.SendAsync(outgoing.Data ?? [], outgoing.Type, endOfMessage: true, cancellationToken);
                }
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or IOException or InvalidOperationException)
        {
            _logger.LogDebug(exception, "Realtime emulator: send failed");
        }
    }

    private void RecordToken(string source, string topic, string? token, JwtCheck? check, bool ignored = false)
    {
        var claims = check?.Claims;
        _tokens.Record(new RealtimeTokenEntry(_time.GetUtcNow(), source, topic, token,
            Text(claims?["sub"]), Text(claims?["role"]), Text(claims?["session_id"]), check?.Exp,
            Accepted: check?.IsValid == true, Error: ignored ? "ignored" : check?.Error));
    }

    /// <summary>Realtime gives each postgres_changes binding a numeric id (a hash); any stable number will do.</summary>
    private static long BindingId(JsonObject binding)
    {
        var hash = 17L;
        foreach (var ch in binding.ToJsonString())
        {
            hash = unchecked(hash * 31 + ch);
        }
        return Math.Abs(hash % 100_000_000);
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static bool Bool(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
}
