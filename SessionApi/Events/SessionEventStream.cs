using System.Text.Json;
using Gateway.Contracts;

namespace SessionApi.Events;

/// <summary>GET /internal/v1/events: server-sent events, "hello" first, a keep-alive comment every 15 s.</summary>
public static class SessionEventStream
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan LiveWait = TimeSpan.FromSeconds(3);

    public static async Task StreamAsync(HttpContext context, SessionEventHub hub)
    {
        var ct = context.RequestAborted;
        // Live first, then subscribe, then "hello": nothing published after the subscriber saw "hello" can be
        // missed, and a stream never says "hello" on a subscription the hub already gave up on.
        if (!await hub.WaitUntilLiveAsync(LiveWait, ct))
        {
            await Results.Problem(statusCode: 503, title: "Session store unavailable",
                detail: "Session events are not flowing through Redis right now; retry shortly.").ExecuteAsync(context);
            return;
        }
        var reader = hub.Subscribe(ct);
        if (!hub.IsLive)
        {
            // The subscription dropped between the wait and Subscribe: this stream may already have missed an event.
            await Results.Problem(statusCode: 503, title: "Session store unavailable",
                detail: "Session events are not flowing through Redis right now; retry shortly.").ExecuteAsync(context);
            return;
        }
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        try
        {
            await WriteAsync(context, new SessionEvent("hello", null, [], null), ct);
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(KeepAlive);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token))
                    {
                        return; // the hub ended this stream: the subscriber reconnects and fails closed meanwhile
                    }
                    while (reader.TryRead(out var sessionEvent))
                    {
                        await WriteAsync(context, sessionEvent, ct);
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await context.Response.WriteAsync(": keep-alive\n\n", ct);
                    await context.Response.Body.FlushAsync(ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task WriteAsync(HttpContext context, SessionEvent sessionEvent, CancellationToken ct)
    {
        await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(sessionEvent, SessionApiJsonContext.Default.SessionEvent) + "\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
    }
}
