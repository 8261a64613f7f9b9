using System.Text.Json;
using System.Threading.Channels;
using Gateway.Contracts;
using SessionApi.Redis;

namespace SessionApi.Events;

/// <summary>
/// Revocations and user updates: published on Redis pub/sub so every SessionApi instance hears them, then fanned
/// out in-process to the Proxies subscribed to GET /internal/v1/events.
/// </summary>
public sealed class SessionEventHub(IRedisClient redis, ILogger<SessionEventHub> logger) : IHostedService
{
    public const string Channel = "gw:events";
    private readonly List<Channel<SessionEvent>> _subscribers = [];
    private IAsyncDisposable? _subscription;

    public Task PublishAsync(SessionEvent sessionEvent, CancellationToken ct) =>
        redis.PublishAsync(Channel, JsonSerializer.SerializeToUtf8Bytes(sessionEvent, SessionApiJsonContext.Default.SessionEvent), ct);

    public ChannelReader<SessionEvent> Subscribe(CancellationToken ct)
    {
        // Bounded: a stuck subscriber loses its stream (and reconnects, failing closed meanwhile) instead of growing memory.
        var channel = System.Threading.Channels.Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite });
        lock (_subscribers)
        {
            _subscribers.Add(channel);
        }
        ct.Register(() =>
        {
            lock (_subscribers)
            {
                _subscribers.Remove(channel);
            }
            channel.Writer.TryComplete();
        });
        return channel.Reader;
    }

    public async Task StartAsync(CancellationToken cancellationToken) =>
        _subscription = await redis.SubscribeAsync(Channel, OnMessage, cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_subscription is not null)
        {
            await _subscription.DisposeAsync();
        }
    }

    private ValueTask OnMessage(ReadOnlyMemory<byte> payload)
    {
        SessionEvent? sessionEvent;
        try
        {
            sessionEvent = JsonSerializer.Deserialize(payload.Span, SessionApiJsonContext.Default.SessionEvent);
        }
        catch (JsonException e)
        {
            logger.LogWarning("Ignoring a malformed session event: {Reason}", e.Message);
            return ValueTask.CompletedTask;
        }
        if (sessionEvent is null)
        {
            return ValueTask.CompletedTask;
        }
        lock (_subscribers)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(sessionEvent);
            }
        }
        return ValueTask.CompletedTask;
    }
}
