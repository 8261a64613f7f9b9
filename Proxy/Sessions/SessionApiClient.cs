using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using Proxy.Options;

namespace Proxy.Sessions;

/// <summary>The SessionApi is unreachable or failing: callers fail closed (503).</summary>
public sealed class SessionApiUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Typed client for the SessionApi's internal API.</summary>
public sealed class SessionApiClient
{
    private readonly HttpClient _http;

    public SessionApiClient(HttpClient http, IOptions<GatewayOptions> options)
    {
        _http = http;
        // An invalid URL is reported by options validation at startup (naming the setting), not here.
        if (Uri.TryCreate(options.Value.SessionApiUrl.TrimEnd('/') + "/", UriKind.Absolute, out var baseAddress))
        {
            _http.BaseAddress = baseAddress;
        }
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.SessionApiKey);
        _http.Timeout = TimeSpan.FromSeconds(5);
    }

    public HttpClient Http => _http;

    /// <summary>
    /// The transport to the SessionApi. Sign-ins and cache misses are sparse next to the requests the cache answers,
    /// so idle connections are kept for minutes (the default drops them after one) and a sign-in does not pay a new
    /// connection; connections are still renewed every few minutes so a redeployed SessionApi is picked up. No
    /// cookies: the client speaks for every user. Used with an infinite handler lifetime (the factory's two-minute
    /// handler rotation would start each new handler with an empty pool).
    /// </summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(4),
        AllowAutoRedirect = false,
    };

    public Task<CreateSessionResponse?> CreateAsync(CreateSessionRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "internal/v1/sessions", JsonContent.Create(request, SessionApiJsonContext.Default.CreateSessionRequest),
            SessionApiJsonContext.Default.CreateSessionResponse, ct);

    /// <summary>Null when the session is unknown, expired, revoked or the cookie is malformed.</summary>
    public Task<ResolvedSession?> ResolveAsync(ResolveSessionRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "internal/v1/sessions/resolve", JsonContent.Create(request, SessionApiJsonContext.Default.ResolveSessionRequest),
            SessionApiJsonContext.Default.ResolvedSession, ct);

    /// <summary>Null when the cookie's session is not live (or, for scope "one", the id is not one of the user's sessions).</summary>
    public Task<RevokeSessionsResponse?> RevokeAsync(RevokeSessionsRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "internal/v1/sessions/revoke", JsonContent.Create(request, SessionApiJsonContext.Default.RevokeSessionsRequest),
            SessionApiJsonContext.Default.RevokeSessionsResponse, ct);

    public async Task<SessionListResponse> ListAsync(string userId, CancellationToken ct) =>
        await SendAsync(HttpMethod.Get, $"internal/v1/users/{Uri.EscapeDataString(userId)}/sessions", null,
            SessionApiJsonContext.Default.SessionListResponse, ct) ?? new SessionListResponse([]);

    public Task<RateLimitResponse?> HitRateLimitAsync(RateLimitRequest request, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "internal/v1/rate-limit", JsonContent.Create(request, SessionApiJsonContext.Default.RateLimitRequest),
            SessionApiJsonContext.Default.RateLimitResponse, ct);

    private async Task<T?> SendAsync<T>(HttpMethod method, string path, HttpContent? content,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken ct) where T : class
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new SessionApiUnavailableException("The session service is unreachable: " + e.Message, e);
        }
        using (response)
        {
            if (MeansNoSuchSession(response))
            {
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new SessionApiUnavailableException($"The session service answered {(int)response.StatusCode}.");
            }
            try
            {
                return await response.Content.ReadFromJsonAsync(type, ct)
                    ?? throw new SessionApiUnavailableException("The session service answered with an empty body.");
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or HttpRequestException or IOException
                || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                throw new SessionApiUnavailableException("The session service sent an unreadable answer: " + e.Message, e);
            }
        }
    }

    /// <summary>
    /// Only the SessionApi's own RFC 7807 answer says "no such session" (404: unknown, expired, revoked; 400: the
    /// cookie is malformed). A bare 404 or 400 comes from something else (a wrong URL, a load balancer, another
    /// app on the port) and says nothing about the session: treating it as "ended" would clear a live cookie.
    /// </summary>
    public static bool MeansNoSuchSession(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest
        && string.Equals(response.Content.Headers.ContentType?.MediaType, "application/problem+json", StringComparison.OrdinalIgnoreCase);
}
