using Gateway.Contracts;

namespace Proxy.Sessions;

/// <summary>What the Proxy knows about the caller's session.</summary>
public enum SessionState
{
    /// <summary>No session cookie on the request.</summary>
    Anonymous,
    /// <summary>The cookie names a live session; <see cref="SessionLookup.Session"/> holds a token valid for a while.</summary>
    Live,
    /// <summary>A cookie was sent but its session is unknown, expired or revoked (the client must be told: 401).</summary>
    Ended,
    /// <summary>A cookie was sent but the SessionApi (or Redis behind it) cannot answer (fail closed: 503).</summary>
    Unavailable,
}

/// <summary>
/// The answer of a lookup. <see cref="Live"/> is set for live sessions and is all a forwarded request needs;
/// <see cref="Session"/> (user, identity assertion, ...) is set when the lookup resolved at the SessionApi or the
/// cache kept the details; call <see cref="ISessionCache.WithDetailsAsync"/> where they are needed.
/// </summary>
public sealed record SessionLookup(SessionState State, string? Cookie, ResolvedSession? Session)
{
    private LiveSession? _live;

    public SessionLookup(string cookie, LiveSession live, ResolvedSession? details) : this(SessionState.Live, cookie, details) => _live = live;

    /// <summary>The compact live session (null unless <see cref="State"/> is <see cref="SessionState.Live"/>).</summary>
    public LiveSession? Live => _live ??= State == SessionState.Live && Session is { } session ? LiveSession.From(session, DateTimeOffset.UtcNow, keepDetails: true) : null;
}

/// <summary>
/// The Proxy's per-session cache of minted tokens: a warm request needs no network call; entries are renewed
/// before the token expires and evicted by the SessionApi's event stream, so revocation is immediate.
/// </summary>
public interface ISessionCache
{
    /// <summary>The session of the request's cookie (read from its <see cref="SessionFeature"/>; cached).</summary>
    ValueTask<SessionLookup> LookupAsync(HttpContext context, CancellationToken cancellationToken);

    /// <summary>Returns the session for a cookie value with a token that stays valid for at least the renewal
    /// margin (mints a new one through the SessionApi when needed). Used by the realtime relay to rotate tokens.</summary>
    ValueTask<SessionLookup> LookupAsync(string cookie, CancellationToken cancellationToken);

    /// <summary>
    /// The same lookup with <see cref="SessionLookup.Session"/> filled in when it is live (may resolve at the SessionApi,
    /// so the state can change to Ended or Unavailable). Implementations that always fill it in need not override this.
    /// </summary>
    ValueTask<SessionLookup> WithDetailsAsync(SessionLookup lookup, CancellationToken cancellationToken) => ValueTask.FromResult(lookup);

    /// <summary>A token that is cancelled when the session (public id) is revoked or ended on any instance.</summary>
    CancellationToken GetRevocationToken(string sessionId);
}
