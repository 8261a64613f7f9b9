using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Gateway.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace SessionApi.Events;

/// <summary>GET /internal/v1/events: server-sent events, "hello" first, then session events and a keep-alive every 15 s.</summary>
public static class SessionEventStream
{
    /// <summary>The SSE event type of keep-alives. They are events, not comments, so a reader that only sees parsed
    /// events (SseParser) still notices that the stream is alive.</summary>
    public const string KeepAliveType = "keep-alive";

    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan LiveWait = TimeSpan.FromSeconds(3);

    public static async Task<Results<ServerSentEventsResult<string>, ProblemHttpResult>> StreamAsync(SessionEventHub hub, HttpContext context)
    {
        var ct = context.RequestAborted;
        // Live first, then subscribe, then "hello": nothing published after the subscriber saw "hello" can be
        // missed, and a stream never says "hello" on a subscription the hub already gave up on.
        if (!await hub.WaitUntilLiveAsync(LiveWait, ct))
        {
            return Unavailable();
        }
        var reader = hub.Subscribe(ct);
        if (!hub.IsLive)
        {
            return Unavailable(); // the subscription dropped between the wait and Subscribe: this stream may already have missed an event
        }
        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.ServerSentEvents(EventsAsync(reader, ct));
    }

    private static ProblemHttpResult Unavailable() => TypedResults.Problem(statusCode: 503, title: "Session store unavailable",
        detail: "Session events are not flowing through Redis right now; retry shortly.");

    private static async IAsyncEnumerable<SseItem<string>> EventsAsync(System.Threading.Channels.ChannelReader<SessionEvent> reader,
        [EnumeratorCancellation] CancellationToken ct)
    {
        yield return Item(new SessionEvent("hello", null, [], null));
        while (!ct.IsCancellationRequested)
        {
            bool more;
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                wait.CancelAfter(KeepAlive);
                try
                {
                    more = await reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    more = true; // quiet for a while: say so, then keep waiting
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
            }
            if (!more)
            {
                yield break; // the hub ended this stream: the subscriber reconnects and fails closed meanwhile
            }
            if (!reader.TryPeek(out _))
            {
                yield return new SseItem<string>("{}", KeepAliveType);
                continue;
            }
            while (reader.TryRead(out var sessionEvent))
            {
                yield return Item(sessionEvent);
            }
        }
    }

    private static SseItem<string> Item(SessionEvent sessionEvent) =>
        new(JsonSerializer.Serialize(sessionEvent, SessionApiJsonContext.Default.SessionEvent));
}
