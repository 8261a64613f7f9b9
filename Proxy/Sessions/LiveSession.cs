using Gateway.Contracts;

namespace Proxy.Sessions;

/// <summary>
/// What the Proxy keeps per cached session: only what a forwarded request needs. The <c>Authorization</c> value is
/// built once per minted token (a request adds no string of its own), times are ticks. The session's details (user,
/// identity assertion for SampleWeb) are kept only for sessions that asked for them (<see cref="Details"/>); an
/// API-only session costs about 1.5 KB instead of ~8 KB.
/// </summary>
public sealed class LiveSession
{
    private const string BearerPrefix = "Bearer ";
    private readonly long _tokenExpiresTicks;
    private readonly long _sessionExpiresTicks;
    private readonly long _storedTicks;

    private LiveSession(string sessionId, string bearerHeader, DateTimeOffset tokenExpiresAt, DateTimeOffset sessionExpiresAt, DateTimeOffset storedAt,
        ResolvedSession? details)
    {
        SessionId = sessionId;
        BearerHeader = bearerHeader;
        _tokenExpiresTicks = tokenExpiresAt.UtcTicks;
        _sessionExpiresTicks = sessionExpiresAt.UtcTicks;
        _storedTicks = storedAt.UtcTicks;
        Details = details;
    }

    /// <summary>The session's public id (what revocation events name).</summary>
    public string SessionId { get; }

    /// <summary>"Bearer &lt;minted Supabase JWT&gt;", ready for the upstream request.</summary>
    public string BearerHeader { get; }

    /// <summary>The minted Supabase JWT (a new string: for the rare callers that need it alone, such as the realtime relay).</summary>
    public string AccessToken => BearerHeader[BearerPrefix.Length..];

    /// <summary>Whether this entry carries <paramref name="accessToken"/> (compared without building a string).</summary>
    public bool Carries(string accessToken) => BearerHeader.AsSpan(BearerPrefix.Length).SequenceEqual(accessToken);

    public DateTimeOffset TokenExpiresAt => new(_tokenExpiresTicks, TimeSpan.Zero);

    public DateTimeOffset SessionExpiresAt => new(_sessionExpiresTicks, TimeSpan.Zero);

    public DateTimeOffset StoredAt => new(_storedTicks, TimeSpan.Zero);

    /// <summary>The whole resolve answer, kept only once a page or an /edge call needed it (null otherwise).</summary>
    public ResolvedSession? Details { get; }

    public static LiveSession From(ResolvedSession session, DateTimeOffset storedAt, bool keepDetails) =>
        new(session.Session.Id, BearerPrefix + session.Token.AccessToken, session.Token.ExpiresAt, session.Session.ExpiresAt, storedAt,
            keepDetails ? session : null);

    /// <summary>
    /// Fresh while more than the renewal margin remains on the token (the margin, at most a fifth of the token's
    /// lifetime) and the session itself has not expired.
    /// </summary>
    public bool IsFresh(DateTimeOffset now, TimeSpan renewalMargin)
    {
        var lifetime = _tokenExpiresTicks - _storedTicks;
        var margin = Math.Min(renewalMargin.Ticks, lifetime / 5);
        var ticks = now.UtcTicks;
        return _tokenExpiresTicks - ticks > margin && _sessionExpiresTicks > ticks;
    }
}
