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

public sealed record SessionLookup(SessionState State, string? Cookie, ResolvedSession? Session);

/// <summary>
/// The Proxy's per-session cache of minted tokens: a warm request needs no network call; entries are renewed
/// before the token expires and evicted by the SessionApi's event stream, so revocation is immediate.
/// </summary>
public interface ISessionCache
{
    /// <summary>Reads our cookie from the request and returns the session (cached).</summary>
    ValueTask<SessionLookup> LookupAsync(HttpContext context, CancellationToken cancellationToken);

    /// <summary>Returns the session for a cookie value with a token that stays valid for at least the renewal
    /// margin (mints a new one through the SessionApi when needed). Used by the realtime relay to rotate tokens.</summary>
    ValueTask<SessionLookup> LookupAsync(string cookie, CancellationToken cancellationToken);

    /// <summary>A token that is cancelled when the session (public id) is revoked or ended on any instance.</summary>
    CancellationToken GetRevocationToken(string sessionId);
}
