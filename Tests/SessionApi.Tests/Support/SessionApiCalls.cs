using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using Gateway.Contracts;
using Xunit;

namespace SessionApi.Tests.Support;

/// <summary>The internal API as the Proxy calls it.</summary>
public static class SessionApiCalls
{
    public static async Task<CreateSessionResponse> CreateAsync(this HttpClient http, GoTrueSession goTrue, ClientInfo? client = null)
    {
        var response = await http.PostAsJsonAsync("/internal/v1/sessions", new CreateSessionRequest(goTrue, client ?? new ClientInfo("127.0.0.1", "test")));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CreateSessionResponse>())!;
    }

    public static Task<HttpResponseMessage> ResolveAsync(this HttpClient http, string cookie, ClientInfo? client = null) =>
        http.PostAsJsonAsync("/internal/v1/sessions/resolve", new ResolveSessionRequest(cookie, client));

    public static async Task<ResolvedSession> ResolveLiveAsync(this HttpClient http, string cookie, ClientInfo? client = null)
    {
        var response = await http.ResolveAsync(cookie, client);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ResolvedSession>())!;
    }

    public static Task<HttpResponseMessage> RevokeAsync(this HttpClient http, string cookie, string scope, string? sessionId = null) =>
        http.PostAsJsonAsync("/internal/v1/sessions/revoke", new RevokeSessionsRequest(cookie, scope, sessionId));
}

/// <summary>A subscriber of GET /internal/v1/events, reading events as they arrive (keep-alives skipped).</summary>
public sealed class EventStreamReader : IDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly IAsyncEnumerator<SseItem<SessionEvent?>> _events;
    private Task<bool>? _pending;

    private EventStreamReader(HttpClient http, HttpResponseMessage response, Stream stream)
    {
        _http = http;
        _response = response;
        _events = SseParser.Create(stream, static (type, data) => type == SessionApi.Events.SessionEventStream.KeepAliveType
            ? null : System.Text.Json.JsonSerializer.Deserialize(data, SessionApiJsonContext.Default.SessionEvent)).EnumerateAsync().GetAsyncEnumerator();
    }

    public static async Task<EventStreamReader> OpenAsync(HttpClient http)
    {
        var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/internal/v1/events"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var reader = new EventStreamReader(http, response, await response.Content.ReadAsStreamAsync());
        var hello = await reader.NextAsync();
        Assert.Equal("hello", hello?.Kind);
        return reader;
    }

    /// <summary>The next event, or null when the server ended the stream; throws <see cref="TimeoutException"/> when none comes in time.</summary>
    public async Task<SessionEvent?> NextAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(5);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            _pending ??= _events.MoveNextAsync().AsTask(); // one read in flight across calls, even after a timeout
            var left = limit - watch.Elapsed;
            if (left <= TimeSpan.Zero || await Task.WhenAny(_pending, Task.Delay(left)) != _pending)
            {
                throw new TimeoutException($"no event within {limit}");
            }
            var more = await _pending;
            _pending = null;
            if (!more)
            {
                return null;
            }
            if (_events.Current.Data is { } sessionEvent)
            {
                return sessionEvent; // otherwise a keep-alive
            }
        }
    }

    public void Dispose()
    {
        _response.Dispose();
        _http.Dispose();
    }
}
