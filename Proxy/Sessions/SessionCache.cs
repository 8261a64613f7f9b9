using System.Collections.Concurrent;
using System.Diagnostics;
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
    SessionTelemetry telemetry,
    ILogger<SessionCache> logger) : ISessionCache
{
    // A cookie that names no live session never becomes live again (the SessionApi only hands out fresh random
    // values), so negative answers may be remembered for a while without weakening anything.
    private static readonly TimeSpan EndedMemory = TimeSpan.FromSeconds(60);

    private readonly int _maxEntries = options.Value.SessionCacheSize;
    private readonly ConcurrentDictionary<string, CachedSession> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _cookieBySession = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _ended = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<SessionLookup>>> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _revocations = new(StringComparer.Ordinal);
    private volatile bool _streamLive;

    // Bumped by every event and stream change: an answer that was in flight while an event arrived may be stale
    // (revoked or updated in between), so it is used for its own request but never cached.
    private long _epoch;

    private sealed record CachedSession(ResolvedSession Session, DateTimeOffset StoredAt);

    /// <summary>Set by the event subscriber: true only while the revocation stream is connected.</summary>
    public bool StreamLive
    {
        get => _streamLive;
        set
        {
            Interlocked.Increment(ref _epoch);
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
        var now = time.GetUtcNow();
        if (_streamLive && _entries.TryGetValue(cookie, out var cached) && IsFresh(cached, now))
        {
            telemetry.CacheHits.Add(1);
            return ValueTask.FromResult(new SessionLookup(SessionState.Live, cookie, cached.Session));
        }
        if (_ended.TryGetValue(cookie, out var endedUntil) && endedUntil > now)
        {
            telemetry.CacheHits.Add(1);
            return ValueTask.FromResult(new SessionLookup(SessionState.Ended, cookie, null));
        }
        telemetry.CacheMisses.Add(1);
        var flight = _inFlight.GetOrAdd(cookie, c => new Lazy<Task<SessionLookup>>(() => ResolveAsync(c, client)));
        return new ValueTask<SessionLookup>(flight.Value.WaitAsync(ct));
    }

    public CancellationToken GetRevocationToken(string sessionId) =>
        _revocations.GetOrAdd(sessionId, _ => new CancellationTokenSource()).Token;

    /// <summary>Drops everything known about these sessions; "revoked" also cancels their revocation tokens.</summary>
    public void Evict(IEnumerable<string> sessionIds, bool revoked)
    {
        Interlocked.Increment(ref _epoch);
        foreach (var id in sessionIds)
        {
            if (_cookieBySession.TryRemove(id, out var cookie))
            {
                _entries.TryRemove(cookie, out _);
                if (revoked)
                {
                    RememberEnded(cookie);
                }
            }
            if (revoked)
            {
                CancelRevocationToken(id);
            }
        }
    }

    /// <summary>A new session replaces whatever the cookie held (sign-in), so the first request is warm.</summary>
    public void Store(string cookie, ResolvedSession session) => Remember(cookie, session, Interlocked.Read(ref _epoch));

    /// <summary>The session behind this cookie was ended here (sign-out): never serve it again.</summary>
    public void Forget(string cookie)
    {
        Interlocked.Increment(ref _epoch);
        RememberEnded(cookie);
        if (_entries.TryRemove(cookie, out var entry))
        {
            _cookieBySession.TryRemove(entry.Session.Session.Id, out _);
            CancelRevocationToken(entry.Session.Session.Id);
        }
    }

    private async Task<SessionLookup> ResolveAsync(string cookie, ClientInfo? client)
    {
        var epoch = Interlocked.Read(ref _epoch);
        using var activity = SessionTelemetry.Source.StartActivity("session.resolve");
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Not the caller's token: other requests wait on this same call, so one caller's abort must not fail them.
            var resolved = await sessionApi.ResolveAsync(new ResolveSessionRequest(cookie, client), CancellationToken.None);
            if (resolved is null)
            {
                activity?.SetTag("session.state", "ended");
                if (_entries.TryRemove(cookie, out var stale))
                {
                    _cookieBySession.TryRemove(stale.Session.Session.Id, out _);
                    CancelRevocationToken(stale.Session.Session.Id);
                }
                RememberEnded(cookie);
                return new SessionLookup(SessionState.Ended, cookie, null);
            }
            activity?.SetTag("session.state", "live");
            Remember(cookie, resolved, epoch);
            return new SessionLookup(SessionState.Live, cookie, resolved);
        }
        catch (SessionApiUnavailableException e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            logger.LogWarning("Session lookup failed closed: {Reason}", e.Message);
            return new SessionLookup(SessionState.Unavailable, cookie, null);
        }
        finally
        {
            telemetry.ResolveDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            _inFlight.TryRemove(cookie, out _);
        }
    }

    private void Remember(string cookie, ResolvedSession session, long epoch)
    {
        if (!_streamLive || Interlocked.Read(ref _epoch) != epoch)
        {
            return;
        }
        if (_entries.Count >= _maxEntries)
        {
            Sweep();
        }
        _ended.TryRemove(cookie, out _);
        _entries[cookie] = new CachedSession(session, time.GetUtcNow());
        _cookieBySession[session.Session.Id] = cookie;
        // An event may have slipped in between the check above and the store: undo rather than serve stale data.
        if (Interlocked.Read(ref _epoch) != epoch)
        {
            _entries.TryRemove(cookie, out _);
            _cookieBySession.TryRemove(session.Session.Id, out _);
        }
    }

    private void RememberEnded(string cookie)
    {
        if (_ended.Count >= _maxEntries)
        {
            var now = time.GetUtcNow();
            foreach (var (key, until) in _ended)
            {
                if (until <= now)
                {
                    _ended.TryRemove(key, out _);
                }
            }
            if (_ended.Count >= _maxEntries)
            {
                _ended.Clear();
            }
        }
        _ended[cookie] = time.GetUtcNow() + EndedMemory;
    }

    private void CancelRevocationToken(string sessionId)
    {
        if (_revocations.TryRemove(sessionId, out var cts))
        {
            cts.Cancel();
            cts.Dispose();
        }
    }

    /// <summary>Frees stale entries; when everything is fresh the cache starts over (it only costs one resolve per session).</summary>
    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (cookie, entry) in _entries)
        {
            if (!IsFresh(entry, now) && _entries.TryRemove(cookie, out _))
            {
                _cookieBySession.TryRemove(entry.Session.Session.Id, out _);
            }
        }
        if (_entries.Count >= _maxEntries)
        {
            _entries.Clear();
            _cookieBySession.Clear();
        }
    }

    /// <summary>Fresh while more than the renewal margin remains: the configured margin, at most 20 % of the token's lifetime.</summary>
    private bool IsFresh(CachedSession entry, DateTimeOffset now)
    {
        var token = entry.Session.Token;
        var lifetime = token.ExpiresAt - entry.StoredAt;
        var margin = options.Value.TokenRenewalMargin;
        var fifth = lifetime / 5;
        if (fifth < margin)
        {
            margin = fifth;
        }
        return token.ExpiresAt - now > margin && entry.Session.Session.ExpiresAt > now;
    }
}
