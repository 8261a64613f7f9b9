using System.Net.WebSockets;
using Proxy.Sessions;

namespace Proxy.Realtime;

/// <summary>The token the relay currently injects, and when it stops being valid (null: never, e.g. the anon key).</summary>
public sealed record RelayToken(string AccessToken, DateTimeOffset? ExpiresAt);

/// <summary>Who is behind a relayed socket: the session's cookie and public id (both null for an anonymous socket).</summary>
public sealed record RelaySession(string? Cookie, string? SessionId, RelayToken Token);

/// <summary>
/// One relayed socket: two pumps copy messages frame by frame (client → Realtime rewriting tokens, Realtime → client
/// tracking channel closes), a rotation loop pushes fresh tokens for joined channels before the current one expires,
/// and the session's revocation closes the client with 4001.
/// </summary>
internal sealed class RealtimeRelayConnection : IDisposable
{
    /// <summary>Close code (application range) the client sees when its session was revoked or ended.</summary>
    public const int SessionRevokedCloseCode = 4001;
    public const string SessionRevokedReason = "session revoked";

    private const int ReceiveChunkBytes = 16 * 1024;
    private const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;
    private static readonly TimeSpan MinimumRotationDelay = TimeSpan.FromMilliseconds(200);

    private readonly WebSocket _client;
    private readonly WebSocket _upstream;
    private readonly SemaphoreSlim _clientSend = new(1, 1);
    private readonly SemaphoreSlim _upstreamSend = new(1, 1);
    private readonly JoinedTopics _topics = new();
    private readonly RelaySession _session;
    private readonly PhoenixSerializer _serializer;
    private readonly ISessionCache _sessions;
    private readonly RealtimeRelayOptions _options;
    private readonly RealtimeTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort;
    private RelayToken _token;
    private readonly Lock _closeGate = new();
    private Task _closeTask = Task.CompletedTask;
    private int _closing;
    private long _gatewayRefs;

    public RealtimeRelayConnection(
        WebSocket client,
        WebSocket upstream,
        RelaySession session,
        PhoenixSerializer serializer,
        ISessionCache sessions,
        RealtimeRelayOptions options,
        RealtimeTelemetry telemetry,
        TimeProvider time,
        ILogger logger)
    {
        _client = client;
        _upstream = upstream;
        _session = session;
        _token = session.Token;
        _serializer = serializer;
        _sessions = sessions;
        _options = options;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    /// <summary>The channels the client has joined (for tests and diagnostics).</summary>
    public JoinedTopics Topics => _topics;

    /// <summary>Relays until both sides are closed (or dropped after <see cref="RealtimeRelayOptions.CloseTimeout"/>).</summary>
    public async Task RunAsync(CancellationToken revoked, CancellationToken requestAborted)
    {
        using var onAborted = requestAborted.Register(static state => ((RealtimeRelayConnection)state!).Abort(), this);
        using var onRevoked = revoked.Register(static state => ((RealtimeRelayConnection)state!).CloseForSessionEnd(), this);

        var clientPump = PumpAsync(fromClient: true);
        var upstreamPump = PumpAsync(fromClient: false);
        var rotation = RotateAsync(_stop.Token);

        var first = await Task.WhenAny(clientPump, upstreamPump);
        var other = first == clientPump ? upstreamPump : clientPump;
        // The side that finished has forwarded its close (or asked for one); the other gets a bounded time to answer.
        _abort.CancelAfter(_options.CloseTimeout);
        await other;
        await _stop.CancelAsync();
        await rotation;
        Task closing;
        lock (_closeGate)
        {
            Interlocked.Exchange(ref _closing, 1); // from here on no close can start (e.g. a late revocation)
            closing = _closeTask;
        }
        await closing; // bounded by CloseTimeout; nothing may touch the sockets after we return

        // Complete a closing handshake a peer started that no answer from the other side completed.
        await EchoCloseAsync(_client, _clientSend);
        await EchoCloseAsync(_upstream, _upstreamSend);
    }

    public void Dispose()
    {
        _stop.Dispose();
        _abort.Dispose();
        _clientSend.Dispose();
        _upstreamSend.Dispose();
    }

    private void Abort()
    {
        _client.Abort();
        _upstream.Abort();
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void CloseForSessionEnd()
    {
        if (BeginClose((WebSocketCloseStatus)SessionRevokedCloseCode, SessionRevokedReason, WebSocketCloseStatus.NormalClosure))
        {
            _telemetry.ClosedForRevocation();
        }
    }

    /// <summary>Starts closing both sides once; returns false when a close was already under way.</summary>
    private bool BeginClose(WebSocketCloseStatus clientStatus, string reason, WebSocketCloseStatus upstreamStatus)
    {
        lock (_closeGate)
        {
            if (Interlocked.Exchange(ref _closing, 1) == 1)
            {
                return false;
            }
            RealtimeLog.Closing(_logger, (int)clientStatus, reason);
            _stop.Cancel();
            _closeTask = CloseBothAsync(clientStatus, reason, upstreamStatus);
            return true;
        }
    }

    private async Task CloseBothAsync(WebSocketCloseStatus clientStatus, string reason, WebSocketCloseStatus upstreamStatus)
    {
        await Task.WhenAll(
            SendCloseAsync(_client, _clientSend, clientStatus, reason),
            SendCloseAsync(_upstream, _upstreamSend, upstreamStatus, reason));
        try
        {
            _abort.CancelAfter(_options.CloseTimeout);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Sends a close frame unless this side is already closed; a peer that blocks the send is dropped.</summary>
    private async Task SendCloseAsync(WebSocket socket, SemaphoreSlim gate, WebSocketCloseStatus status, string? reason)
    {
        bool entered;
        try
        {
            entered = await gate.WaitAsync(_options.CloseTimeout);
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        if (!entered)
        {
            socket.Abort();
            return;
        }
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(_options.CloseTimeout, _time);
                await socket.CloseOutputAsync(status, Truncate(reason), timeout.Token);
            }
        }
        catch (Exception exception) when (IsConnectionFailure(exception))
        {
            socket.Abort();
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task EchoCloseAsync(WebSocket socket, SemaphoreSlim gate)
    {
        if (socket.State == WebSocketState.CloseReceived)
        {
            await SendCloseAsync(socket, gate, Sendable(socket.CloseStatus), socket.CloseStatusDescription);
        }
        if (socket.State != WebSocketState.Closed)
        {
            socket.Abort();
        }
    }

    private async Task PumpAsync(bool fromClient)
    {
        var source = fromClient ? _client : _upstream;
        var destination = fromClient ? _upstream : _client;
        var gate = fromClient ? _upstreamSend : _clientSend;
        var direction = fromClient ? "client_to_upstream" : "upstream_to_client";
        var message = new PooledMessageBuffer(ReceiveChunkBytes);
        var holdingGate = false;   // a fragmented message is being streamed: nothing else may be sent in between
        long messageBytes = 0;

        try
        {
            while (true)
            {
                var received = await source.ReceiveAsync(message.GetMemory(ReceiveChunkBytes), _abort.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await ForwardCloseAsync(source, destination, gate, holdingGate);
                    holdingGate = false;
                    return;
                }

                message.Advance(received.Count);
                messageBytes += received.Count;
                if (Volatile.Read(ref _closing) == 1)
                {
                    message.Reset(); // closing: read until the peer's close frame, forward nothing more
                    continue;
                }

                if (fromClient && messageBytes > _options.MaxMessageBytes)
                {
                    BeginClose(WebSocketCloseStatus.MessageTooBig, "message too big", WebSocketCloseStatus.NormalClosure);
                    message.Reset();
                    continue;
                }

                var streamed = received.MessageType == WebSocketMessageType.Binary || holdingGate ||
                    (!fromClient && messageBytes > _options.MaxMessageBytes);
                if (streamed)
                {
                    // Binary frames are never rewritten, and server text too large to inspect is passed as it comes.
                    if (!holdingGate)
                    {
                        await gate.WaitAsync(_abort.Token);
                        holdingGate = true;
                    }
                    await destination.SendAsync(message.Written, received.MessageType, received.EndOfMessage, _abort.Token);
                    message.Reset();
                    if (received.EndOfMessage)
                    {
                        holdingGate = false;
                        gate.Release();
                    }
                }
                else if (received.EndOfMessage)
                {
                    await RelayTextAsync(message.Written, fromClient, destination, gate);
                    message.Reset();
                }

                if (received.EndOfMessage)
                {
                    _telemetry.FrameRelayed(direction, received.MessageType == WebSocketMessageType.Binary ? "binary" : "text");
                    messageBytes = 0;
                }
            }
        }
        catch (Exception exception) when (IsConnectionFailure(exception))
        {
            RealtimeLog.PumpFailed(_logger, direction, exception);
            if (fromClient)
            {
                BeginClose(WebSocketCloseStatus.EndpointUnavailable, "client went away", WebSocketCloseStatus.EndpointUnavailable);
            }
            else
            {
                BeginClose(WebSocketCloseStatus.InternalServerError, "realtime connection lost", WebSocketCloseStatus.NormalClosure);
            }
        }
        finally
        {
            if (holdingGate)
            {
                gate.Release();
            }
            message.Dispose();
        }
    }

    /// <summary>A complete text message: client joins and token updates carry our token; server closes untrack topics.</summary>
    private async Task RelayTextAsync(ReadOnlyMemory<byte> text, bool fromClient, WebSocket destination, SemaphoreSlim gate)
    {
        // Rewriting happens under the upstream send lock so a rotation cannot slip between reading the token and
        // sending the join: either the join carries the new token or the rotation sees the topic.
        await gate.WaitAsync(_abort.Token);
        try
        {
            var payload = text;
            if (fromClient)
            {
                var decision = PhoenixFrames.InspectClientMessage(text.Span, Volatile.Read(ref _token).AccessToken);
                if (decision.Drop)
                {
                    RealtimeLog.DroppedAmbiguousMessage(_logger);
                    return;
                }
                if (decision.Envelope is { } envelope)
                {
                    if (envelope.Event == PhoenixFrames.JoinEvent)
                    {
                        _topics.Joined(envelope.Topic, envelope.JoinRef ?? envelope.Ref);
                    }
                    else if (envelope.Event == PhoenixFrames.LeaveEvent)
                    {
                        _topics.Left(envelope.Topic);
                    }
                }
                if (decision.Rewritten is { } rewritten)
                {
                    _telemetry.TokenRewritten(decision.Envelope!.Event);
                    payload = rewritten;
                }
            }
            else
            {
                var decision = PhoenixFrames.InspectServerMessage(text.Span);
                if (decision.Drop)
                {
                    return; // Realtime's answer to one of our own access_token pushes
                }
                if (decision.Envelope is { Event: PhoenixFrames.CloseEvent } closed)
                {
                    _topics.Ended(closed.Topic, closed.JoinRef ?? closed.Ref);
                }
                else if (decision is { JoinRefused: true, Envelope: { } refused })
                {
                    _topics.JoinRefused(refused.Topic, refused.Ref);
                }
            }
            await destination.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, _abort.Token);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task ForwardCloseAsync(WebSocket source, WebSocket destination, SemaphoreSlim gate, bool holdingGate)
    {
        if (holdingGate)
        {
            gate.Release(); // a half-sent fragmented message cannot be finished; the close ends it
        }
        Interlocked.Exchange(ref _closing, 1);
        await _stop.CancelAsync();
        await SendCloseAsync(destination, gate, Sendable(source.CloseStatus), source.CloseStatusDescription);
    }

    /// <summary>
    /// Before the injected token expires, asks the session cache for a fresh one and pushes it to every joined
    /// channel (Realtime closes channels whose token expired and the client does not know it should refresh).
    /// </summary>
    private async Task RotateAsync(CancellationToken stop)
    {
        if (_session.Cookie is not { } cookie)
        {
            return; // an anonymous socket uses the project key, which does not expire
        }
        try
        {
            while (true)
            {
                var current = Volatile.Read(ref _token);
                if (current.ExpiresAt is not { } expiresAt)
                {
                    return;
                }
                var delay = (expiresAt - _time.GetUtcNow()) * _options.RotateAfterFraction;
                await Task.Delay(delay > MinimumRotationDelay ? delay : MinimumRotationDelay, _time, stop);

                SessionLookup next;
                try
                {
                    next = await _sessions.LookupAsync(cookie, stop);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    RealtimeLog.RotationFailed(_logger, exception);
                    next = new SessionLookup(SessionState.Unavailable, cookie, null);
                }

                switch (next)
                {
                    case { State: SessionState.Live, Live: { } live }:
                        if (!live.Carries(current.AccessToken))
                        {
                            var token = live.AccessToken;
                            Volatile.Write(ref _token, new RelayToken(token, live.TokenExpiresAt));
                            await PushTokenAsync(token, stop);
                        }
                        break;
                    case { State: SessionState.Unavailable }:
                        if (_time.GetUtcNow() >= expiresAt)
                        {
                            BeginClose(TryAgainLater, "session store unavailable", WebSocketCloseStatus.NormalClosure);
                            return;
                        }
                        break; // try again; the current token is still valid for a while
                    default:
                        CloseForSessionEnd();
                        return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception exception) when (IsConnectionFailure(exception))
        {
            RealtimeLog.RotationFailed(_logger, exception);
        }
    }

    private async Task PushTokenAsync(string accessToken, CancellationToken stop)
    {
        using var activity = RealtimeTelemetry.ActivitySource.StartActivity("realtime.rotate_token");
        await _upstreamSend.WaitAsync(stop);
        try
        {
            var topics = _topics.Snapshot();
            foreach (var (topic, joinRef) in topics)
            {
                var reference = PhoenixFrames.GatewayRefPrefix + Interlocked.Increment(ref _gatewayRefs).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var push = PhoenixFrames.AccessTokenMessage(_serializer, topic, joinRef, reference, accessToken);
                await _upstream.SendAsync(push, WebSocketMessageType.Text, endOfMessage: true, _abort.Token);
            }
            activity?.SetTag("realtime.topics", topics.Length);
            _telemetry.TokenRotated();
            RealtimeLog.Rotated(_logger, topics.Length);
        }
        finally
        {
            _upstreamSend.Release();
        }
    }

    private static bool IsConnectionFailure(Exception exception) =>
        exception is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException;

    /// <summary>A close status that may be sent on the wire (1005/1006/1015 only describe what happened locally).</summary>
    private static WebSocketCloseStatus Sendable(WebSocketCloseStatus? status) =>
        status is null or WebSocketCloseStatus.Empty or (WebSocketCloseStatus)1006 or (WebSocketCloseStatus)1015
            ? WebSocketCloseStatus.NormalClosure
            : status.Value;

    /// <summary>Close reasons are limited to 123 bytes.</summary>
    private static string? Truncate(string? reason) =>
        reason is null || System.Text.Encoding.UTF8.GetByteCount(reason) <= 123 ? reason : reason[..Math.Min(reason.Length, 40)];
}
