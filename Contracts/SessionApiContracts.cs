using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Contracts;

// The internal HTTP contract between the Proxy and the SessionApi. One project (Contracts/Gateway.Contracts.csproj)
// referenced by both services, so the two sides cannot drift. JSON is camelCase (web defaults).
// Every request carries "Authorization: Bearer <SessionApi:CallerKey>".

/// <summary>What the client told us about itself; stored as session metadata.</summary>
public sealed record ClientInfo(string? Ip, string? UserAgent);

/// <summary>The session GoTrue issued (contract §1.2), handed over by the Proxy right after a sign-in.</summary>
public sealed record GoTrueSession(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("refresh_token")] string RefreshToken,
    [property: JsonPropertyName("expires_in")] long ExpiresIn,
    [property: JsonPropertyName("expires_at")] long ExpiresAt,
    [property: JsonPropertyName("user")] JsonElement User);

/// <summary>POST /internal/v1/sessions</summary>
public sealed record CreateSessionRequest(GoTrueSession GoTrue, ClientInfo Client);

/// <summary>201 answer: the cookie value to set (id + per-session secret), the session and a first minted token.</summary>
public sealed record CreateSessionResponse(string Cookie, SessionView Session, MintedToken Token);

/// <summary>POST /internal/v1/sessions/resolve — read + touch + mint in one call (the Proxy caches the answer).</summary>
public sealed record ResolveSessionRequest(string Cookie, ClientInfo? Client);

/// <summary>200 answer of resolve. 404 problem when the session is unknown, expired or revoked; 400 when the cookie is malformed.</summary>
public sealed record ResolvedSession(SessionView Session, MintedToken Token);

/// <summary>
/// A JWT for Supabase with GoTrue's claims (contract §2.1) and a short lifetime, plus an ES256 identity
/// assertion for SampleWeb (verifiable with the SessionApi's JWKS; carries the Supabase token in claim "sb_token").
/// </summary>
public sealed record MintedToken(string AccessToken, DateTimeOffset ExpiresAt, string IdentityAssertion);

/// <summary>A session as the gateway shows it: no secrets, no refresh token, no raw id.</summary>
public sealed record SessionView(
    string Id,                 // public id (UUID), used by /edge/v1/sessions/{id}; NOT the cookie id
    string UserId,
    string? GoTrueSessionId,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastSeenAt,
    DateTimeOffset ExpiresAt,  // min(absolute lifetime, last seen + idle timeout)
    string Aal,
    JsonElement Amr,
    string? Ip,
    string? UserAgent,
    JsonElement User);

/// <summary>GET /internal/v1/users/{userId}/sessions</summary>
public sealed record SessionListResponse(IReadOnlyList<SessionView> Sessions);

/// <summary>
/// POST /internal/v1/sessions/revoke. Scope: "current" (the cookie's session), "others" (all of the user's
/// sessions but the cookie's), "all" (every session of the user), or "one" with SessionId (must belong to the
/// cookie's user, else 404). The SessionApi also ends the matching GoTrue session(s) and publishes the event.
/// </summary>
public sealed record RevokeSessionsRequest(string Cookie, string Scope, string? SessionId = null);

/// <summary>Public ids of the sessions that were revoked.</summary>
public sealed record RevokeSessionsResponse(IReadOnlyList<string> Revoked);

/// <summary>
/// GET /internal/v1/events is a server-sent-event stream ("data: {json}\n\n") of these; a ":" comment line
/// is sent every 15 s as a keep-alive. Kind "revoked": drop cached tokens and close sockets of SessionIds.
/// Kind "updated": drop cached tokens of SessionIds (the user object changed; mint again). Kind "hello"
/// is sent first so the subscriber knows the stream is live.
/// </summary>
public sealed record SessionEvent(string Kind, string? UserId, IReadOnlyList<string> SessionIds, string? Reason);

/// <summary>POST /internal/v1/rate-limit: a fixed-window counter shared by all Proxy instances.</summary>
public sealed record RateLimitRequest(string Key, int Limit, int WindowSeconds);
public sealed record RateLimitResponse(bool Allowed, int Remaining, int RetryAfterSeconds);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CreateSessionRequest))]
[JsonSerializable(typeof(CreateSessionResponse))]
[JsonSerializable(typeof(ResolveSessionRequest))]
[JsonSerializable(typeof(ResolvedSession))]
[JsonSerializable(typeof(SessionListResponse))]
[JsonSerializable(typeof(RevokeSessionsRequest))]
[JsonSerializable(typeof(RevokeSessionsResponse))]
[JsonSerializable(typeof(SessionEvent))]
[JsonSerializable(typeof(RateLimitRequest))]
[JsonSerializable(typeof(RateLimitResponse))]
public sealed partial class SessionApiJsonContext : JsonSerializerContext;
