using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Contracts;
using StackExchange.Redis;

namespace SessionApi.Events;

/// <summary>
/// Revocations and user updates: published on Redis pub/sub so every SessionApi instance hears them, then fanned
/// out in-process to the Proxies subscribed to GET /internal/v1/events.
/// A heartbeat travels the same channel every second. When it stops arriving (Redis down, subscription lost) the
/// hub is not live: open streams are ended and new ones refused, so Proxies stop trusting their caches instead of
/// missing revocations silently. When the pub/sub connection drops, streams end at once (a revocation published
/// in the gap would otherwise be lost while heartbeats still look fresh), and the hub stays not live until one of
/// its own heartbeats, published after the drop, has come back through the restored subscription.
/// </summary>
public sealed class SessionEventHub(IConnectionMultiplexer redis, ILogger<SessionEventHub> logger) : BackgroundService
{
    public const string Channel = "gw:events";
    // A cluster carries events on one sharded channel (SPUBLISH/SSUBSCRIBE, served by the master of the channel's slot
    // and moved by the client when that slot fails over); a single node or replica set on classic pub/sub.
    private static readonly RedisChannel ShardedChannel = RedisChannel.Sharded(Channel);
    private static readonly RedisChannel ClassicChannel = RedisChannel.Literal(Channel);
    private RedisChannel? _channel;
    private const string HeartbeatKind = "heartbeat";
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(3.5);
    // Heartbeats carry "<instance>:<sequence>" in Reason: only our own, newer than the last drop, prove the path works.
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private long _heartbeatsPublished;
    private long _acceptHeartbeatsAfter;

    private readonly List<Channel<SessionEvent>> _subscribers = [];
    private readonly TaskCompletionSource _firstHeartbeat = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastHeartbeat; // Stopwatch timestamp; 0 = never

    /// <summary>True while our own heartbeats come back through Redis.</summary>
    public bool IsLive => _lastHeartbeat != 0 && Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeartbeat)) < HeartbeatTimeout;

    public Task PublishAsync(SessionEvent sessionEvent, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return redis.GetSubscriber().PublishAsync(EventsChannel, JsonSerializer.SerializeToUtf8Bytes(sessionEvent, SessionApiJsonContext.Default.SessionEvent));
    }

    /// <summary>Sharded in a cluster, classic otherwise; known once the client has reached a server (a publish needs one anyway).</summary>
    private RedisChannel EventsChannel => _channel ?? DetectChannel() ?? ClassicChannel;

    private RedisChannel? DetectChannel()
    {
        var connected = redis.GetServers().Where(server => server.IsConnected).ToList();
        if (connected.Count == 0)
        {
            return null;
        }
        return connected.Any(server => server.ServerType == ServerType.Cluster) ? ShardedChannel : ClassicChannel;
    }

    /// <summary>Waits (bounded) until the hub is live; false when it is not.</summary>
    public async Task<bool> WaitUntilLiveAsync(TimeSpan limit, CancellationToken ct)
    {
        if (IsLive)
        {
            return true;
        }
        var waited = Stopwatch.StartNew();
        await Task.WhenAny(_firstHeartbeat.Task, Task.Delay(limit, ct));
        while (!IsLive && waited.Elapsed < limit)
        {
            await Task.Delay(50, ct);
        }
        return IsLive;
    }

    public ChannelReader<SessionEvent> Subscribe(CancellationToken ct)
    {
        // Bounded: a stuck subscriber loses its stream (and reconnects, failing closed meanwhile) instead of growing memory.
        var channel = System.Threading.Channels.Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.Wait });
        lock (_subscribers)
        {
            _subscribers.Add(channel);
        }
        ct.Register(() => Drop(channel));
        return channel.Reader;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        using var unhook = stoppingToken.Register(() => redis.ConnectionFailed -= OnConnectionFailed);
        // A queue, not a handler: messages are processed one at a time, in the order Redis delivered them.
        // StackExchange.Redis re-subscribes by itself once the connection is back (in a cluster: on the slot's new master).
        _channel = await ChooseChannelAsync(stoppingToken);
        var subscription = await redis.GetSubscriber().SubscribeAsync(EventsChannel);
        subscription.OnMessage(message => OnMessage(message.Message));
        using var unsubscribe = stoppingToken.Register(() => _ = subscription.UnsubscribeAsync(CommandFlags.FireAndForget));
        using var timer = new PeriodicTimer(HeartbeatInterval);
        Task publishing = Task.CompletedTask;
        do
        {
            // A publish stuck on a reconnecting client must not delay the liveness check.
            if (publishing.IsCompleted)
            {
                publishing = PublishHeartbeatAsync(stoppingToken);
            }
            if (_lastHeartbeat != 0 && !IsLive)
            {
                EndAllStreams();
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Waits for the first server the client reaches: only then is it known whether Redis runs as a cluster.</summary>
    private async Task<RedisChannel> ChooseChannelAsync(CancellationToken ct)
    {
        RedisChannel? detected;
        while ((detected = DetectChannel()) is null)
        {
            await Task.Delay(100, ct);
        }
        var channel = detected.Value;
        logger.LogInformation("Session events use the {Kind} pub/sub channel {Channel}", channel.IsSharded ? "sharded" : "classic", Channel);
        return channel;
    }

    private async Task PublishHeartbeatAsync(CancellationToken ct)
    {
        try
        {
            var sequence = Interlocked.Increment(ref _heartbeatsPublished);
            var heartbeat = new SessionEvent(HeartbeatKind, null, [], $"{_instance}:{sequence}");
            await PublishAsync(heartbeat, ct);
        }
        catch (Exception e) when (e is RedisException or RedisTimeoutException or OperationCanceledException)
        {
            logger.LogDebug("Heartbeat not published: {Reason}", e.Message);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        EndAllStreams();
    }

    private bool IsOwnFreshHeartbeat(string? stamp)
    {
        var separator = stamp?.IndexOf(':') ?? -1;
        return separator > 0
            && stamp!.AsSpan(0, separator).SequenceEqual(_instance)
            && long.TryParse(stamp.AsSpan(separator + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence)
            && sequence > Interlocked.Read(ref _acceptHeartbeatsAfter);
    }

    /// <summary>Any lost connection may have carried the subscription (a separate one on RESP2, the only one on RESP3).
    /// Redis does not buffer pub/sub, so whatever was published until the subscription is restored is gone.</summary>
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) => OnSubscriptionLost();

    /// <summary>Not live until a heartbeat published from now on comes back; streams end first so Proxies drop their caches.</summary>
    private void OnSubscriptionLost()
    {
        Interlocked.Exchange(ref _acceptHeartbeatsAfter, Interlocked.Read(ref _heartbeatsPublished));
        Interlocked.Exchange(ref _lastHeartbeat, 0);
        EndAllStreams();
    }

    private void EndAllStreams()
    {
        Channel<SessionEvent>[] all;
        lock (_subscribers)
        {
            all = [.. _subscribers];
        }
        if (all.Length > 0)
        {
            logger.LogWarning("Session events are not flowing through Redis; ending {Count} event stream(s)", all.Length);
        }
        foreach (var channel in all)
        {
            Drop(channel);
        }
    }

    private void Drop(Channel<SessionEvent> channel)
    {
        lock (_subscribers)
        {
            _subscribers.Remove(channel);
        }
        channel.Writer.TryComplete();
    }

    private void OnMessage(RedisValue payload)
    {
        SessionEvent? sessionEvent;
        try
        {
            sessionEvent = JsonSerializer.Deserialize(((ReadOnlyMemory<byte>)payload).Span, SessionApiJsonContext.Default.SessionEvent);
        }
        catch (JsonException e)
        {
            logger.LogWarning("Ignoring a malformed session event: {Reason}", e.Message);
            return;
        }
        if (sessionEvent is null)
        {
            return;
        }
        if (sessionEvent.Kind == HeartbeatKind)
        {
            if (IsOwnFreshHeartbeat(sessionEvent.Reason))
            {
                Interlocked.Exchange(ref _lastHeartbeat, Stopwatch.GetTimestamp());
                _firstHeartbeat.TrySetResult();
            }
            return;
        }
        Channel<SessionEvent>[] all;
        lock (_subscribers)
        {
            all = [.. _subscribers];
        }
        foreach (var subscriber in all)
        {
            if (!subscriber.Writer.TryWrite(sessionEvent))
            {
                // Full: this stream can no longer be trusted to carry every revocation.
                logger.LogWarning("An event stream fell behind; ending it");
                Drop(subscriber);
            }
        }
    }
}
