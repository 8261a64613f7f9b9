using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using Proxy.Cookies;
using Proxy.Options;

namespace Proxy.Sessions;

/// <summary>
/// Minted tokens per session cookie. A warm request makes no network call; a token is renewed (single-flight per
/// cookie) when less than the renewal margin remains. Entries are evicted by the SessionApi's event stream, and
/// while that stream is down nothing is served from cache, so revocation stays immediate (fail closed).
/// </summary>
public sealed class SessionCache(
    SessionApiClient sessionApi,
    SessionCookiePolicy cookies,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<SessionCache> logger) : ISessionCache
{
    private const int MaxEntries = 200_000;
    private static readonly Meter Meter = new("Proxy.Sessions");
    private static readonly Counter<long> Hits = Meter.CreateCounter<long>("proxy.session_cache.hits");
    private static readonly Counter<long> Misses = Meter.CreateCounter<long>("proxy.session_cache.misses");

    private readonly ConcurrentDictionary<string, ResolvedSession> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _cookieBySession = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<SessionLookup>> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _revocations = new(StringComparer.Ordinal);
    private volatile bool _streamLive;

    /// <summary>Set by the event subscriber: true only while the revocation stream is connected.</summary>
    public bool StreamLive
    {
        get => _streamLive;
        set
        {
            _streamLive = value;
            if (!value)
            {
                _entries.Clear(); // anything cached may have been revoked while we could not hear it
                _cookieBySession.Clear();
            }
        }
    }

    public int Count => _entries.Count;

    public ValueTask<SessionLookup> LookupAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var cookie = cookies.Read(context.Request);
        if (cookie is null)
        {
            return ValueTask.FromResult(new SessionLookup(SessionState.Anonymous, null, null));
        }
        var client = new ClientInfo(context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers.UserAgent.ToString());
        return LookupAsync(cookie, client, cancellationToken);
    }

    public ValueTask<SessionLookup> LookupAsync(string cookie, CancellationToken cancellationToken) => LookupAsync(cookie, null, cancellationToken);

    private ValueTask<SessionLookup> LookupAsync(string cookie, ClientInfo? client, CancellationToken ct)
    {
        if (!SessionCookiePolicy.LooksValid(cookie))
        {
            return ValueTask.FromResult(new SessionLookup(SessionState.Ended, cookie, null));
        }
        if (_streamLive && _entries.TryGetValue(cookie, out var cached) && IsFresh(cached))
        {
            Hits.Add(1);
            return ValueTask.FromResult(new SessionLookup(SessionState.Live, cookie, cached));
        }
        Misses.Add(1);
        return new ValueTask<SessionLookup>(ResolveOnceAsync(cookie, client, ct));
    }

    public CancellationToken GetRevocationToken(string sessionId) =>
        _revocations.GetOrAdd(sessionId, _ => new CancellationTokenSource()).Token;

    /// <summary>Drops everything known about these sessions and cancels their revocation tokens.</summary>
    public void Evict(IEnumerable<string> sessionIds, bool revoked)
    {
        foreach (var id in sessionIds)
        {
            if (_cookieBySession.TryRemove(id, out var cookie))
            {
                _entries.TryRemove(cookie, out _);
            }
            if (revoked && _revocations.TryRemove(id, out var cts))
            {
                cts.Cancel();
                cts.Dispose();
            }
        }
    }

    /// <summary>A new session replaces whatever the cookie held (sign-in), so the first request is warm.</summary>
    public void Store(string cookie, ResolvedSession session) => Remember(cookie, session);

    public void Forget(string cookie)
    {
        if (_entries.TryRemove(cookie, out var session))
        {
            _cookieBySession.TryRemove(session.Session.Id, out _);
        }
    }

    private Task<SessionLookup> ResolveOnceAsync(string cookie, ClientInfo? client, CancellationToken ct)
    {
        var task = _inFlight.GetOrAdd(cookie, c => ResolveAsync(c, client));
        return task.WaitAsync(ct);
    }

    private async Task<SessionLookup> ResolveAsync(string cookie, ClientInfo? client)
    {
        try
        {
            var resolved = await sessionApi.ResolveAsync(new ResolveSessionRequest(cookie, client), CancellationToken.None);
            if (resolved is null)
            {
                Forget(cookie);
                return new SessionLookup(SessionState.Ended, cookie, null);
            }
            Remember(cookie, resolved);
            return new SessionLookup(SessionState.Live, cookie, resolved);
        }
        catch (SessionApiUnavailableException e)
        {
            logger.LogWarning("Session lookup failed closed: {Reason}", e.Message);
            return new SessionLookup(SessionState.Unavailable, cookie, null);
        }
        finally
        {
            _inFlight.TryRemove(cookie, out _);
        }
    }

    private void Remember(string cookie, ResolvedSession session)
    {
        if (!_streamLive)
        {
            return;
        }
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear(); // crude but bounded; a cold cache only costs a SessionApi round trip per session
            _cookieBySession.Clear();
        }
        _entries[cookie] = session;
        _cookieBySession[session.Session.Id] = cookie;
    }

    private bool IsFresh(ResolvedSession session)
    {
        var now = time.GetUtcNow();
        var remaining = session.Token.ExpiresAt - now;
        var lifetimeGuess = session.Token.ExpiresAt - session.Session.LastSeenAt;
        var margin = options.Value.TokenRenewalMargin;
        var half = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, Math.Min(lifetimeGuess.Ticks, TimeSpan.FromMinutes(60).Ticks) / 2));
        if (margin > half)
        {
            margin = half;
        }
        return remaining > margin && session.Session.ExpiresAt > now;
    }
}
