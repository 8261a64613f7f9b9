using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;

namespace SessionApi.Redis;

/// <summary>
/// Our Redis client: one multiplexed, pipelined command connection plus a dedicated pub/sub connection, both
/// re-established in the background with exponential backoff (50 ms doubling to 5 s, with jitter). While the
/// command connection is down, commands fail at once with <see cref="RedisConnectionException"/> (callers fail
/// closed) instead of queueing.
/// This exists because the offline package feed cannot restore StackExchange.Redis. Where it can, an adapter
/// implementing <see cref="IRedisClient"/> over StackExchange.Redis's IConnectionMultiplexer (ExecuteAsync →
/// IDatabase.ExecuteAsync, pub/sub → ISubscriber) is the swap-in; the connection string is already in its format.
/// </summary>
public sealed class RedisClient : IRedisClient
{
    public const string TelemetryName = "SessionApi.Redis";
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);
    private static readonly ActivitySource Activities = new(TelemetryName);
    private static readonly Meter Meter = new(TelemetryName);
    private static readonly Counter<long> Commands = Meter.CreateCounter<long>("redis.client.commands", "{command}", "Commands issued.");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("redis.client.command_failures", "{command}", "Commands that got no reply (unavailable, connection lost, timeout).");
    private static readonly Counter<long> Reconnects = Meter.CreateCounter<long>("redis.client.reconnects", "{connection}", "Connections re-established after a loss.");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("db.client.operation.duration", "s", "Time from issuing a command to its reply.");

    private readonly RedisConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly ConcurrentDictionary<string, ChannelHandlers> _subscriptions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _subscriberGate = new(1, 1);
    private readonly Channel<bool> _repairNeeded = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly KeyValuePair<string, object?>[] _tags;
    private Task _supervisor = Task.CompletedTask;
    private RespConnection? _commands;
    private RespConnection? _subscriber;
    private bool _wasConnected;
    private string _lastError = "not connected yet";

    private RedisClient(RedisConnectionOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _tags = [new("db.system", "redis"), new("server.address", options.Primary.Host), new("server.port", options.Primary.Port)];
    }

    public bool IsConnected => _commands is { IsHealthy: true };

    public event Action? SubscriptionLost;

    public RedisConnectionOptions Options => _options;

    /// <summary>Connects the command connection. Fails with <see cref="RedisConnectionException"/> when that is not possible,
    /// unless <see cref="RedisConnectionOptions.AbortConnect"/> is false: then the client keeps trying in the background.</summary>
    public static async Task<RedisClient> ConnectAsync(RedisConnectionOptions options, ILoggerFactory? loggerFactory = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new RedisClient(options, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RedisClient>());
        if (options.IgnoredSettings.Count > 0)
        {
            client._logger.LogDebug("Redis connection string settings not used by this client: {Settings}", string.Join(", ", options.IgnoredSettings));
        }
        try
        {
            client._commands = await client.OpenCommandConnectionAsync(ct);
            client._logger.LogInformation("Connected to Redis at {Endpoint}", client._commands.Endpoint);
        }
        catch (RedisConnectionException e) when (!options.AbortConnect)
        {
            client._lastError = e.Message;
            client._logger.LogWarning("Redis at {Endpoints} is not reachable yet ({Reason}); retrying in the background", options, e.Message);
        }
        client._supervisor = Task.Run(client.SuperviseAsync, CancellationToken.None);
        if (client._commands is null)
        {
            client.RequestRepair();
        }
        return client;
    }

    public async Task<RedisReply> ExecuteAsync(string command, IReadOnlyList<RedisArg> args, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ArgumentNullException.ThrowIfNull(args);
        using var activity = Activities.StartActivity(command, ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("db.system", "redis");
            activity.SetTag("db.system.name", "redis");
            activity.SetTag("db.operation.name", command);
            activity.SetTag("db.namespace", _options.Database.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetTag("server.address", _options.Primary.Host);
            activity.SetTag("server.port", _options.Primary.Port);
        }
        var started = Stopwatch.GetTimestamp();
        Commands.Add(1, _tags);
        try
        {
            var connection = _commands;
            if (connection is not { IsHealthy: true })
            {
                RequestRepair();
                throw new RedisConnectionException($"Redis at {_options} is unavailable (reconnecting in the background): {_lastError}");
            }
            RedisReply reply;
            try
            {
                reply = await connection.SendAsync(command, args).WaitAsync(_options.CommandTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new RedisTimeoutException(
                    $"Redis {command} timed out after {_options.CommandTimeout.TotalMilliseconds:0} ms (asyncTimeout) on {connection.Endpoint}; the server may be overloaded or paused.");
            }
            Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _tags);
            if (reply.Kind == RedisReplyKind.Error)
            {
                activity?.SetStatus(ActivityStatusCode.Error, reply.AsString());
                throw new RedisServerException($"Redis {command} failed: {reply.AsString()}");
            }
            return reply;
        }
        catch (RedisConnectionException e)
        {
            Failures.Add(1, _tags);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            activity?.SetTag("error.type", e.GetType().Name);
            throw;
        }
    }

    public async Task<long> PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        (await ExecuteAsync("PUBLISH", [channel, message], cancellationToken)).AsLong();

    /// <summary>Handlers run one message at a time, in the order Redis delivered them, off the connection's read loop.
    /// Messages published while the pub/sub connection is down are lost (Redis pub/sub does not buffer).</summary>
    public async Task<IAsyncDisposable> SubscribeAsync(string channel, Func<ReadOnlyMemory<byte>, ValueTask> onMessage, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(onMessage);
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        var handler = new MessageHandler(onMessage, _logger, channel);
        bool first;
        while (true)
        {
            var handlers = _subscriptions.GetOrAdd(channel, _ => new ChannelHandlers());
            lock (handlers)
            {
                // An unsubscribe may have just removed this entry from the map: then start over with a fresh one.
                if (_subscriptions.TryGetValue(channel, out var current) && ReferenceEquals(current, handlers))
                {
                    first = handlers.Items.Count == 0;
                    handlers.Items.Add(handler);
                    break;
                }
            }
        }
        if (first)
        {
            await _subscriberGate.WaitAsync(cancellationToken);
            try
            {
                if (_subscriber is { IsHealthy: true } subscriber)
                {
                    await subscriber.SendAsync("SUBSCRIBE", [channel]).WaitAsync(_options.CommandTimeout, cancellationToken);
                }
                else
                {
                    await EnsureSubscriberAsync(cancellationToken);
                }
            }
            catch (Exception e) when (e is RedisConnectionException or TimeoutException)
            {
                _logger.LogWarning("Subscribing to Redis channel {Channel} failed ({Reason}); it is retried when the connection is back", channel, e.Message);
                RequestRepair();
            }
            finally
            {
                _subscriberGate.Release();
            }
        }
        return new Subscription(this, channel, handler);
    }

    private async Task EnsureSubscriberAsync(CancellationToken ct)
    {
        if (_subscriptions.IsEmpty || _subscriber is { IsHealthy: true })
        {
            return;
        }
        var connection = await RespConnection.OpenAsync(_options, OnPush, ct);
        connection.Failed += e =>
        {
            _logger.LogWarning("Lost the Redis pub/sub connection to {Endpoint}: {Reason}", connection.Endpoint, e.Message);
            RequestRepair();
            try
            {
                SubscriptionLost?.Invoke();
            }
            catch (Exception handlerError)
            {
                _logger.LogError(handlerError, "A SubscriptionLost handler failed");
            }
        };
        try
        {
            foreach (var channel in _subscriptions.Keys)
            {
                await connection.SendAsync("SUBSCRIBE", [channel]).WaitAsync(_options.CommandTimeout, ct);
            }
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            await connection.DisposeAsync();
            throw new RedisConnectionException($"Subscribing on Redis at {connection.Endpoint} failed: {e.Message}", e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        if (Interlocked.Exchange(ref _subscriber, connection) is { } old)
        {
            await old.DisposeAsync();
        }
        _logger.LogInformation("Subscribed to {Count} Redis channel(s) at {Endpoint}", _subscriptions.Count, connection.Endpoint);
    }

    /// <summary>Runs on the pub/sub connection's read loop: hands "message" pushes to the handlers' queues.</summary>
    private bool OnPush(RedisReply reply)
    {
        if (reply.Kind != RedisReplyKind.Array || reply.Items.Count != 3 || reply.Items[0].AsString() != "message")
        {
            return false; // a (un)subscribe confirmation: the reply to a command we sent
        }
        var channel = reply.Items[1].AsString()!;
        var payload = reply.Items[2].AsBytes() ?? [];
        if (_subscriptions.TryGetValue(channel, out var handlers))
        {
            lock (handlers)
            {
                foreach (var handler in handlers.Items)
                {
                    handler.Post(payload);
                }
            }
        }
        return true;
    }

    private async Task<RespConnection> OpenCommandConnectionAsync(CancellationToken ct)
    {
        var connection = await RespConnection.OpenAsync(_options, null, ct);
        connection.Failed += e =>
        {
            _lastError = e.Message;
            _logger.LogWarning("Lost the Redis connection to {Endpoint}: {Reason}", connection.Endpoint, e.Message);
            RequestRepair();
        };
        _wasConnected = true;
        return connection;
    }

    private void RequestRepair() => _repairNeeded.Writer.TryWrite(true);

    private bool NeedsRepair => _commands is not { IsHealthy: true } || (!_subscriptions.IsEmpty && _subscriber is not { IsHealthy: true });

    /// <summary>One background loop re-establishes whatever is down. Requests coalesce; the state is re-checked after
    /// each attempt, so a loss signalled during a repair is not missed.</summary>
    private async Task SuperviseAsync()
    {
        var stopping = _disposed.Token;
        try
        {
            while (await _repairNeeded.Reader.WaitToReadAsync(stopping))
            {
                _repairNeeded.Reader.TryRead(out _);
                var delay = FirstRetryDelay;
                while (NeedsRepair && !stopping.IsCancellationRequested)
                {
                    try
                    {
                        await RepairAsync(stopping);
                    }
                    catch (RedisConnectionException e)
                    {
                        _lastError = e.Message;
                        _logger.LogDebug("Redis reconnect failed: {Reason}; next attempt in {Delay} ms", e.Message, delay.TotalMilliseconds);
                        var jitter = TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)(delay.TotalMilliseconds / 4) + 1));
                        await Task.Delay(delay + jitter, stopping);
                        delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _logger.LogError(e, "The Redis reconnect loop stopped unexpectedly");
        }
    }

    private async Task RepairAsync(CancellationToken stopping)
    {
        if (_commands is not { IsHealthy: true })
        {
            var reconnecting = _wasConnected;
            var fresh = await OpenCommandConnectionAsync(stopping);
            if (Interlocked.Exchange(ref _commands, fresh) is { } old)
            {
                await old.DisposeAsync();
            }
            if (stopping.IsCancellationRequested)
            {
                await fresh.DisposeAsync(); // disposed meanwhile: do not leak the new connection
                return;
            }
            if (reconnecting)
            {
                Reconnects.Add(1, _tags);
            }
            _logger.LogInformation("Connected to Redis at {Endpoint}", fresh.Endpoint);
        }
        await _subscriberGate.WaitAsync(stopping);
        try
        {
            await EnsureSubscriberAsync(stopping);
        }
        finally
        {
            _subscriberGate.Release();
        }
    }

    private async ValueTask UnsubscribeAsync(string channel, MessageHandler handler)
    {
        handler.Complete();
        if (!_subscriptions.TryGetValue(channel, out var handlers))
        {
            return;
        }
        lock (handlers)
        {
            handlers.Items.Remove(handler);
            if (handlers.Items.Count > 0 || !_subscriptions.TryRemove(new(channel, handlers)))
            {
                return;
            }
        }
        if (_subscriber is { IsHealthy: true } subscriber)
        {
            try
            {
                await subscriber.SendAsync("UNSUBSCRIBE", [channel]).WaitAsync(_options.CommandTimeout);
            }
            catch (Exception e) when (e is RedisConnectionException or TimeoutException)
            {
                // The connection is going away anyway; a stale server-side subscription has no handlers to reach.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }
        _disposed.Cancel();
        await _supervisor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (Interlocked.Exchange(ref _commands, null) is { } commands)
        {
            await commands.DisposeAsync();
        }
        if (Interlocked.Exchange(ref _subscriber, null) is { } subscriber)
        {
            await subscriber.DisposeAsync();
        }
        foreach (var handlers in _subscriptions.Values)
        {
            lock (handlers)
            {
                handlers.Items.ForEach(handler => handler.Complete());
            }
        }
    }

    private sealed class ChannelHandlers
    {
        public List<MessageHandler> Items { get; } = [];
    }

    /// <summary>One subscriber's queue and pump: ordered delivery, and a slow handler never blocks the read loop.</summary>
    private sealed class MessageHandler
    {
        private readonly Channel<byte[]> _queue = Channel.CreateUnbounded<byte[]>(new() { SingleReader = true, SingleWriter = true });

        public MessageHandler(Func<ReadOnlyMemory<byte>, ValueTask> onMessage, ILogger logger, string channel) =>
            _ = PumpAsync(onMessage, logger, channel);

        public void Post(byte[] payload) => _queue.Writer.TryWrite(payload);

        public void Complete() => _queue.Writer.TryComplete();

        private async Task PumpAsync(Func<ReadOnlyMemory<byte>, ValueTask> onMessage, ILogger logger, string channel)
        {
            await Task.Yield();
            await foreach (var payload in _queue.Reader.ReadAllAsync())
            {
                try
                {
                    await onMessage(payload);
                }
                catch (Exception e)
                {
                    logger.LogError(e, "A handler for Redis channel {Channel} failed", channel);
                }
            }
        }
    }

    private sealed class Subscription(RedisClient client, string channel, MessageHandler handler) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _disposed, 1) == 0 ? client.UnsubscribeAsync(channel, handler) : ValueTask.CompletedTask;
    }
}

public static class RedisReplyExtensions
{
    public static string Utf8(this ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
