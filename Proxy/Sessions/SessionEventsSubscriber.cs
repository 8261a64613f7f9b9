using System.Text.Json;
using Gateway.Contracts;

namespace Proxy.Sessions;

/// <summary>
/// Listens to the SessionApi's event stream (SSE) and evicts revoked or updated sessions from the cache. The cache
/// is only used while this stream is connected; reconnects with backoff.
/// </summary>
public sealed class SessionEventsSubscriber(SessionApiClient sessionApi, SessionCache cache, ILogger<SessionEventsSubscriber> logger) : BackgroundService
{
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
                using var reader = new StreamReader(stream);
                while (await reader.ReadLineAsync(stoppingToken) is { } line)
                {
                    if (!line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        continue;
                    }
                    var sessionEvent = JsonSerializer.Deserialize(line.AsSpan(6), SessionApiJsonContext.Default.SessionEvent);
                    switch (sessionEvent?.Kind)
                    {
                        case "hello":
                            cache.StreamLive = true;
                            delay = TimeSpan.FromMilliseconds(100);
                            logger.LogInformation("Session event stream connected");
                            break;
                        case "revoked":
                            cache.Evict(sessionEvent.SessionIds, revoked: true);
                            break;
                        case "updated":
                            cache.Evict(sessionEvent.SessionIds, revoked: false);
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or JsonException or TaskCanceledException)
            {
                logger.LogWarning("Session event stream lost ({Reason}); caching is off until it reconnects", e.Message);
            }
            cache.StreamLive = false;
            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
        }
    }
}
