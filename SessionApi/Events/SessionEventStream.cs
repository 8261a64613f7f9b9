using System.Text.Json;
using Gateway.Contracts;

namespace SessionApi.Events;

/// <summary>GET /internal/v1/events: server-sent events, "hello" first, a keep-alive comment every 15 s.</summary>
public static class SessionEventStream
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static async Task StreamAsync(HttpContext context, SessionEventHub hub)
    {
        var ct = context.RequestAborted;
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        var reader = hub.Subscribe(ct);
        await WriteAsync(context, new SessionEvent("hello", null, [], null), ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(KeepAlive);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token))
                    {
                        return;
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
