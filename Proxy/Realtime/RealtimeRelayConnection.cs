using System.Net.WebSockets;
using Proxy.Sessions;

namespace Proxy.Realtime;

/// <summary>The token the relay currently injects, and when it stops being valid (null: never, e.g. the anon key).</summary>
public sealed record RelayToken(string AccessToken, DateTimeOffset? ExpiresAt);

/// <summary>Who is behind a relayed socket: the session's cookie and public id (both null for an anonymous socket).</summary>
public sealed record RelaySession(string? Cookie, string? SessionId, RelayToken Token);

/// <summary>
/// One relayed socket: runs two <see cref="RelayPump"/>s (client → Realtime, Realtime → client) that share a
/// <see cref="PhoenixInterceptor"/>, and a <see cref="RelayTokenRotator"/>; owns the closing handshake of both sides
/// (a revoked session closes the client with 4001, a peer that does not answer a close in time is dropped).
/// </summary>
internal sealed class RealtimeRelayConnection : IRelayLifetime, IDisposable
{
    /// <summary>Close code (application range) the client sees when its session was revoked or ended.</summary>
    public const int SessionRevokedCloseCode = 4001;
    public const string SessionRevokedReason = "session revoked";

    private readonly RelaySocket _client;
    private readonly RelaySocket _upstream;
    private readonly PhoenixInterceptor _interceptor;
    private readonly RelayPump _clientPump;
    private readonly RelayPump _upstreamPump;
    private readonly RelayTokenRotator _rotator;
    private readonly RealtimeRelayOptions _options;
    private readonly RealtimeTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort;
    private readonly Lock _closeGate = new();
    private Task _closeTask = Task.CompletedTask;
    private int _closing;

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
        _client = new RelaySocket(client);
        _upstream = new RelaySocket(upstream);
        _options = options;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _interceptor = new PhoenixInterceptor(session.Token, telemetry, logger);
        _clientPump = new RelayPump(_client, _upstream, RelayDirection.ClientToUpstream, _interceptor, this, options, telemetry, logger);
        _upstreamPump = new RelayPump(_upstream, _client, RelayDirection.UpstreamToClient, _interceptor, this, options, telemetry, logger);
        _rotator = new RelayTokenRotator(session.Cookie, serializer, _interceptor, _upstream, this, sessions, options, telemetry, time, logger)
        {
            SessionEnded = CloseForSessionEnd,
        };
    }

    /// <summary>The channels the client has joined (for tests and diagnostics).</summary>
    public JoinedTopics Topics => _interceptor.Topics;

    public bool Closing => Volatile.Read(ref _closing) == 1;

    public CancellationToken Aborted => _abort.Token;

    /// <summary>Relays until both sides are closed (or dropped after <see cref="RealtimeRelayOptions.CloseTimeout"/>).</summary>
    public async Task RunAsync(CancellationToken revoked, CancellationToken requestAborted)
    {
        using var onAborted = requestAborted.Register(static state => ((RealtimeRelayConnection)state!).Abort(), this);
        using var onRevoked = revoked.Register(static state => ((RealtimeRelayConnection)state!).CloseForSessionEnd(), this);
        // Receives and sends run without a token (a cancellable one costs a registration per call); dropping the
        // sockets is what ends them when the close deadline passes.
        using var onDeadline = _abort.Token.Register(static state => ((RealtimeRelayConnection)state!).AbortSockets(), this);

        var clientPump = _clientPump.RunAsync();
        var upstreamPump = _upstreamPump.RunAsync();
        var rotation = _rotator.RunAsync(_stop.Token);

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
        await EchoCloseAsync(_client);
        await EchoCloseAsync(_upstream);
    }

    public void Dispose()
    {
        _stop.Dispose();
        _abort.Dispose();
        _client.Dispose();
        _upstream.Dispose();
    }

    private void AbortSockets()
    {
        _client.Socket.Abort();
        _upstream.Socket.Abort();
    }

    private void Abort()
    {
        AbortSockets();
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

    public bool BeginClose(WebSocketCloseStatus clientStatus, string reason, WebSocketCloseStatus upstreamStatus)
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

    public async Task ForwardCloseAsync(WebSocket source, RelaySocket destination)
    {
        Interlocked.Exchange(ref _closing, 1);
        await _stop.CancelAsync();
        await SendCloseAsync(destination, Sendable(source.CloseStatus), source.CloseStatusDescription);
    }

    private async Task CloseBothAsync(WebSocketCloseStatus clientStatus, string reason, WebSocketCloseStatus upstreamStatus)
    {
        await Task.WhenAll(
            SendCloseAsync(_client, clientStatus, reason),
            SendCloseAsync(_upstream, upstreamStatus, reason));
        try
        {
            _abort.CancelAfter(_options.CloseTimeout);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Sends a close frame unless this side is already closed; a peer that blocks the send is dropped.</summary>
    private async Task SendCloseAsync(RelaySocket side, WebSocketCloseStatus status, string? reason)
    {
        var socket = side.Socket;
        bool entered;
        try
        {
            entered = await side.SendLock.WaitAsync(_options.CloseTimeout);
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
            side.SendLock.Release();
        }
    }

    private async Task EchoCloseAsync(RelaySocket side)
    {
        var socket = side.Socket;
        if (socket.State == WebSocketState.CloseReceived)
        {
            await SendCloseAsync(side, Sendable(socket.CloseStatus), socket.CloseStatusDescription);
        }
        if (socket.State != WebSocketState.Closed)
        {
            socket.Abort();
        }
    }

    internal static bool IsConnectionFailure(Exception exception) =>
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
