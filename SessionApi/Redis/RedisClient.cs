using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;

namespace SessionApi.Redis;

/// <summary>
/// Our Redis client: one multiplexed, pipelined command connection plus one pub/sub connection, reconnected
/// with exponential backoff. While disconnected, commands fail fast (callers fail closed) instead of queueing.
/// Exists because the offline package feed cannot restore StackExchange.Redis; where it can, an adapter over
/// StackExchange.Redis's IConnectionMultiplexer implementing <see cref="IRedisClient"/> is the swap-in.
/// </summary>
public sealed class RedisClient : IRedisClient
{
    public const string TelemetryName = "SessionApi.Redis";
    private static readonly ActivitySource Activities = new(TelemetryName);
    private static readonly Meter Meter = new(TelemetryName);
    private static readonly Counter<long> Commands = Meter.CreateCounter<long>("redis.commands", description: "Commands sent to Redis.");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>("redis.command_failures", description: "Commands that failed (connection, timeout).");
    private static readonly Counter<long> Reconnects = Meter.CreateCounter<long>("redis.reconnects", description: "Successful reconnections.");
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("redis.command.duration", "ms", "Command round-trip time.");

    private readonly RedisConnectionOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly ConcurrentDictionary<string, List<Func<ReadOnlyMemory<byte>, ValueTask>>> _subscriptions = new();
    private readonly SemaphoreSlim _reconnectGate = new(1, 1);
    private readonly SemaphoreSlim _subscriberGate = new(1, 1);
    private RespConnection? _commands;
    private RespConnection? _subscriber;
    private string _lastError = "not connected yet";

    private RedisClient(RedisConnectionOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    public bool IsConnected => _commands is { IsHealthy: true };

    public RedisConnectionOptions Options => _options;

    public static async Task<RedisClient> ConnectAsync(RedisConnectionOptions options, ILoggerFactory? loggerFactory = null, CancellationToken ct = default)
    {
        var client = new RedisClient(options, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RedisClient>());
        try
        {
            client._commands = await client.OpenAsync(ct);
            client._logger.LogInformation("Connected to Redis at {Endpoint}", options);
        }
        catch (RedisConnectionException e) when (!options.AbortConnect)
        {
            client._lastError = e.Message;
            client._logger.LogWarning("Redis at {Endpoint} is not reachable yet ({Reason}); retrying in the background", options, e.Message);
            client.ScheduleReconnect();
        }
        return client;
    }

    public async Task<RedisReply> ExecuteAsync(string command, IReadOnlyList<RedisArg> args, CancellationToken cancellationToken = default)
    {
        using var activity = Activities.StartActivity(command, ActivityKind.Client);
        activity?.SetTag("db.system", "redis");
        var started = Stopwatch.GetTimestamp();
        Commands.Add(1);
        var connection = _commands;
        if (connection is not { IsHealthy: true })
        {
            Failures.Add(1);
            ScheduleReconnect();
            throw new RedisConnectionException($"Redis at {_options.Primary.Host}:{_options.Primary.Port} is unavailable: {_lastError}");
        }
        try
        {
            var reply = await connection.SendAsync(command, args).WaitAsync(_options.CommandTimeout, cancellationToken);
            Duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (reply.Kind == RedisReplyKind.Error)
            {
                throw new RedisServerException($"Redis {command}: {reply.AsString()}");
            }
            return reply;
        }
        catch (TimeoutException)
        {
            Failures.Add(1);
            activity?.SetStatus(ActivityStatusCode.Error, "timeout");
            throw new RedisConnectionException($"Redis {command} timed out after {_options.CommandTimeout.TotalMilliseconds} ms.");
        }
        catch (RedisConnectionException e)
        {
            Failures.Add(1);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }

    public Task<long> PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        ExecuteAsync("PUBLISH", [channel, message], cancellationToken).ContinueWith(t => t.Result.AsLong(), cancellationToken,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    public async Task<IAsyncDisposable> SubscribeAsync(string channel, Func<ReadOnlyMemory<byte>, ValueTask> onMessage, CancellationToken cancellationToken = default)
    {
        var handlers = _subscriptions.GetOrAdd(channel, _ => []);
        bool first;
        lock (handlers)
        {
            first = handlers.Count == 0;
            handlers.Add(onMessage);
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
            catch (RedisConnectionException e)
            {
                _logger.LogWarning("Subscribing to {Channel} failed ({Reason}); it will be retried on reconnect", channel, e.Message);
                ScheduleReconnect();
            }
            finally
            {
                _subscriberGate.Release();
            }
        }
        return new Subscription(this, channel, onMessage);
    }

    private async Task EnsureSubscriberAsync(CancellationToken ct)
    {
        if (_subscriptions.IsEmpty || _subscriber is { IsHealthy: true })
        {
            return;
        }
        var connection = await RespConnection.OpenAsync(_options, OnPush, ct);
        connection.Failed += _ => ScheduleReconnect();
        foreach (var channel in _subscriptions.Keys)
        {
            await connection.SendAsync("SUBSCRIBE", [channel]).WaitAsync(_options.CommandTimeout, ct);
        }
        var old = Interlocked.Exchange(ref _subscriber, connection);
        if (old is not null)
        {
            await old.DisposeAsync();
        }
    }

    private bool OnPush(RedisReply reply)
    {
        if (reply.Kind != RedisReplyKind.Array || reply.Items.Count != 3 || reply.Items[0].AsString() != "message")
        {
            return false;
        }
        var channel = reply.Items[1].AsString()!;
        var payload = reply.Items[2].AsBytes() ?? [];
        if (_subscriptions.TryGetValue(channel, out var handlers))
        {
            Func<ReadOnlyMemory<byte>, ValueTask>[] snapshot;
            lock (handlers)
            {
                snapshot = [.. handlers];
            }
            foreach (var handler in snapshot)
            {
                _ = InvokeAsync(handler, payload);
            }
        }
        return true;
    }

    private async Task InvokeAsync(Func<ReadOnlyMemory<byte>, ValueTask> handler, byte[] payload)
    {
        try
        {
            await handler(payload);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A Redis subscription handler failed");
        }
    }

    private async Task<RespConnection> OpenAsync(CancellationToken ct)
    {
        var connection = await RespConnection.OpenAsync(_options, null, ct);
        connection.Failed += e =>
        {
            _lastError = e.Message;
            _logger.LogWarning("Lost the Redis connection to {Endpoint}: {Reason}", _options, e.Message);
            ScheduleReconnect();
        };
        return connection;
    }

    private void ScheduleReconnect()
    {
        if (_disposed.IsCancellationRequested || !_reconnectGate.Wait(0))
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                var delay = TimeSpan.FromMilliseconds(50);
                while (!_disposed.IsCancellationRequested)
                {
                    try
                    {
                        if (_commands is not { IsHealthy: true })
                        {
                            var fresh = await OpenAsync(_disposed.Token);
                            var old = Interlocked.Exchange(ref _commands, fresh);
                            if (old is not null)
                            {
                                await old.DisposeAsync();
                            }
                            Reconnects.Add(1);
                            _logger.LogInformation("Reconnected to Redis at {Endpoint}", _options);
                        }
                        await _subscriberGate.WaitAsync(_disposed.Token);
                        try
                        {
                            await EnsureSubscriberAsync(_disposed.Token);
                        }
                        finally
                        {
                            _subscriberGate.Release();
                        }
                        return;
                    }
                    catch (RedisConnectionException e)
                    {
                        _lastError = e.Message;
                        _logger.LogDebug("Redis reconnect failed: {Reason}; next attempt in {Delay} ms", e.Message, delay.TotalMilliseconds);
                    }
                    await Task.Delay(delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 25)), _disposed.Token);
                    delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _reconnectGate.Release();
            }
        });
    }

    private async ValueTask UnsubscribeAsync(string channel, Func<ReadOnlyMemory<byte>, ValueTask> handler)
    {
        if (!_subscriptions.TryGetValue(channel, out var handlers))
        {
            return;
        }
        bool last;
        lock (handlers)
        {
            handlers.Remove(handler);
            last = handlers.Count == 0;
        }
        if (last && _subscriptions.TryRemove(channel, out _) && _subscriber is { IsHealthy: true } subscriber)
        {
            try
            {
                await subscriber.SendAsync("UNSUBSCRIBE", [channel]).WaitAsync(_options.CommandTimeout);
            }
            catch (Exception e) when (e is RedisConnectionException or TimeoutException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed.Cancel();
        if (_commands is not null)
        {
            await _commands.DisposeAsync();
        }
        if (_subscriber is not null)
        {
            await _subscriber.DisposeAsync();
        }
    }

    private sealed class Subscription(RedisClient client, string channel, Func<ReadOnlyMemory<byte>, ValueTask> handler) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => client.UnsubscribeAsync(channel, handler);
    }
}

public static class RedisReplyExtensions
{
    public static string Utf8(this ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
