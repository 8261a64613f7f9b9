using System.Net.ServerSentEvents;
using System.Text.Json;
using Gateway.Contracts;

namespace Proxy.Sessions;

/// <summary>
/// Listens to the SessionApi's event stream (SSE) and evicts revoked or updated sessions from the cache. The cache
/// is only used while this stream is connected; reconnects with backoff. A stream that stays silent longer than
/// two keep-alive periods counts as lost (a half-open connection must not keep a stale cache alive).
/// </summary>
public sealed class SessionEventsSubscriber(SessionApiClient sessionApi, SessionCache cache, ILogger<SessionEventsSubscriber> logger) : BackgroundService
{
    /// <summary>The SSE event type of the SessionApi's keep-alives.</summary>
    private const string KeepAliveType = "keep-alive";

    /// <summary>The SessionApi sends a keep-alive every 15 s.</summary>
    public static TimeSpan SilenceLimit { get; set; } = TimeSpan.FromSeconds(40);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "internal/v1/events");
                using var response = await sessionApi.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stoppingToken);
                response.EnsureSuccessStatusCode();
                await using var stream = await response.Content.ReadAsStreamAsync(stoppingToken);
                using var silence = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                silence.CancelAfter(SilenceLimit);
                var events = SseParser.Create(stream, static (type, data) =>
                    type == KeepAliveType ? null : JsonSerializer.Deserialize(data, SessionApiJsonContext.Default.SessionEvent));
                await foreach (var item in events.EnumerateAsync(silence.Token))
                {
                    silence.CancelAfter(SilenceLimit); // keep-alives count: they prove the connection is not half-open
                    var sessionEvent = item.Data;
                    switch (sessionEvent?.Kind)
                    {
                        case "hello":
                            cache.StreamLive = true;
                            delay = TimeSpan.FromMilliseconds(100);
                            logger.LogInformation("Session event stream connected");
                            break;
                        case "revoked":
                            cache.Evict(sessionEvent.SessionIds ?? [], revoked: true);
                            break;
                        case "updated":
                            cache.Evict(sessionEvent.SessionIds ?? [], revoked: false);
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException or OperationCanceledException)
            {
                logger.LogWarning("Session event stream lost ({Reason}); caching is off until it reconnects", e.Message);
            }
            cache.StreamLive = false;
            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
        }
    }
}
