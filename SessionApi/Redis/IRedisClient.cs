namespace SessionApi.Redis;

/// <summary>
/// The Redis operations the session store needs. Implemented by our own RESP client (the offline feed cannot
/// restore StackExchange.Redis; where it can, an adapter over IConnectionMultiplexer is the drop-in swap).
/// One multiplexed, pipelined connection; commands are sent as binary-safe bulk strings.
/// </summary>
public interface IRedisClient : IAsyncDisposable
{
    /// <summary>Sends one command (e.g. "SET", key, value, "PX", "1000") and awaits its reply.
    /// Throws <see cref="RedisServerException"/> for "-ERR" replies and <see cref="RedisConnectionException"/>
    /// when the server cannot be reached (after the configured timeout).</summary>
    Task<RedisReply> ExecuteAsync(string command, IReadOnlyList<RedisArg> args, CancellationToken cancellationToken = default);

    /// <summary>Publishes on a pub/sub channel; returns the number of receivers.</summary>
    Task<long> PublishAsync(string channel, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default);

    /// <summary>Subscribes (on a dedicated connection, re-subscribed after reconnects). Dispose to unsubscribe.</summary>
    Task<IAsyncDisposable> SubscribeAsync(string channel, Func<ReadOnlyMemory<byte>, ValueTask> onMessage, CancellationToken cancellationToken = default);

    /// <summary>Raised when the pub/sub connection is lost. Redis does not buffer pub/sub, so anything published
    /// until the subscriptions are restored is gone: listeners must stop relying on having heard everything.</summary>
    event Action? SubscriptionLost;

    /// <summary>True while the command connection is up (used by the readiness health check).</summary>
    bool IsConnected { get; }
}
