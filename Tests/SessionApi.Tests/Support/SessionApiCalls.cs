using System.Net;
using System.Net.Http.Json;
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

/// <summary>A subscriber of GET /internal/v1/events, reading "data:" lines as they arrive.</summary>
public sealed class EventStreamReader : IDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventStreamReader(HttpClient http, HttpResponseMessage response, StreamReader reader)
    {
        _http = http;
        _response = response;
        _reader = reader;
    }

    public static async Task<EventStreamReader> OpenAsync(HttpClient http)
    {
        var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/internal/v1/events"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var reader = new EventStreamReader(http, response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        var hello = await reader.NextAsync();
        Assert.Equal("hello", hello?.Kind);
        return reader;
    }

    /// <summary>The next event, or null when the server ended the stream.</summary>
    public async Task<SessionEvent?> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        while (await _reader.ReadLineAsync(cts.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return System.Text.Json.JsonSerializer.Deserialize(line.AsSpan(6), SessionApiJsonContext.Default.SessionEvent);
            }
        }
        return null;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
        _http.Dispose();
    }
}
