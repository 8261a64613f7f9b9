using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using Proxy.Options;

namespace Proxy.Sessions;

/// <summary>
/// Minted tokens per session cookie. A warm request makes no network call and allocates nothing here but its
/// <see cref="SessionLookup"/>; a token is renewed (single-flight per cookie) when less than the renewal margin
/// remains. Entries are compact (<see cref="LiveSession"/>, keyed by the cookie's SHA-256). They are evicted by the
/// SessionApi's event stream, and while that stream is down nothing is served from cache, so revocation stays
/// immediate (fail closed).
/// </summary>
public sealed class SessionCache(
    SessionApiClient sessionApi,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    SessionTelemetry telemetry,
    ILogger<SessionCache> logger) : ISessionCache
{
    // A cookie that names no live session never becomes live again (the SessionApi only hands out fresh random
    // values), so negative answers may be remembered for a while without weakening anything.
    private static readonly TimeSpan EndedMemory = TimeSpan.FromSeconds(60);
    private static readonly SessionLookup AnonymousLookup = new(SessionState.Anonymous, null, null);

    private readonly int _maxEntries = options.Value.SessionCacheSize;
    private readonly TimeSpan _renewalMargin = options.Value.TokenRenewalMargin;
    private readonly ConcurrentDictionary<SessionKey, LiveSession> _entries = new();
    private readonly ConcurrentDictionary<string, SessionKey> _keyBySession = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SessionKey, long> _endedUntil = new();
    private readonly ConcurrentDictionary<SessionKey, Lazy<Task<SessionLookup>>> _inFlight = new();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _revocations = new(StringComparer.Ordinal);
    private volatile bool _streamLive;

    // Bumped by every event and stream change: an answer that was in flight while an event arrived may be stale
    // (revoked or updated in between), so it is used for its own request but never cached.
    private long _epoch;

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
                _keyBySession.Clear();
            }
        }
    }

    public int Count => _entries.Count;

    public ValueTask<SessionLookup> LookupAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var cookie = SessionFeature.Of(context).Cookie;
        return cookie is null
            ? ValueTask.FromResult(AnonymousLookup)
            : LookupAsync(cookie, context, withDetails: false, cancellationToken);
    }

    public ValueTask<SessionLookup> LookupAsync(string cookie, CancellationToken cancellationToken) =>
        LookupAsync(cookie, null, withDetails: false, cancellationToken);

    /// <summary>
    /// The lookup with the session's details (<see cref="SessionLookup.Session"/>: user, identity assertion), for
    /// pages and /edge calls. Served from the entry when it kept them, else resolved once and kept from then on.
    /// </summary>
    public ValueTask<SessionLookup> WithDetailsAsync(SessionLookup lookup, CancellationToken cancellationToken)
    {
        if (lookup is not { State: SessionState.Live, Session: null, Cookie: { } cookie })
        {
            return ValueTask.FromResult(lookup);
        }
        if (lookup.Live?.Details is { } details)
        {
            return ValueTask.FromResult(new SessionLookup(cookie, lookup.Live, details));
        }
        return LookupAsync(cookie, null, withDetails: true, cancellationToken);
    }

    private ValueTask<SessionLookup> LookupAsync(string cookie, HttpContext? context, bool withDetails, CancellationToken ct)
    {
        if (!SessionKey.TryCreate(cookie, out var key))
        {
            return ValueTask.FromResult(new SessionLookup(SessionState.Ended, cookie, null));
        }
        var now = time.GetUtcNow();
        if (_streamLive && _entries.TryGetValue(key, out var cached) && cached.IsFresh(now, _renewalMargin)
            && (!withDetails || cached.Details is not null))
        {
            telemetry.CacheHits.Add(1);
            return ValueTask.FromResult(new SessionLookup(cookie, cached, cached.Details));
        }
        if (_endedUntil.TryGetValue(key, out var endedUntil) && endedUntil > now.UtcTicks)
        {
            telemetry.CacheHits.Add(1);
            return ValueTask.FromResult(new SessionLookup(SessionState.Ended, cookie, null));
        }
        telemetry.CacheMisses.Add(1);
        // Client metadata is only read on a miss: a warm request builds no strings for it.
        var client = context is null ? null : new ClientInfo(context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers.UserAgent.ToString());
        var flight = _inFlight.GetOrAdd(key, k => new Lazy<Task<SessionLookup>>(() => ResolveAsync(k, cookie, client, withDetails)));
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
            if (_keyBySession.TryRemove(id, out var key))
            {
                _entries.TryRemove(key, out _);
                if (revoked)
                {
                    RememberEnded(key);
                }
            }
            if (revoked)
            {
                CancelRevocationToken(id);
            }
        }
    }

    /// <summary>
    /// Sessions this instance just revoked at the SessionApi. The revocation event reaches every instance within
    /// milliseconds, but this one answered the caller first: evicting here makes the very next request with a revoked
    /// cookie fail, with no window at all.
    /// </summary>
    public void EvictRevoked(RevokeSessionsResponse? revoked)
    {
        if (revoked is { Revoked.Count: > 0 })
        {
            Evict(revoked.Revoked, revoked: true);
        }
    }

    /// <summary>A new session replaces whatever the cookie held (sign-in), so the first request is warm.</summary>
    public void Store(string cookie, ResolvedSession session)
    {
        if (SessionKey.TryCreate(cookie, out var key))
        {
            Remember(key, session, Interlocked.Read(ref _epoch), keepDetails: false);
        }
    }

    /// <summary>The session behind this cookie was ended here (sign-out): never serve it again.</summary>
    public void Forget(string cookie)
    {
        if (!SessionKey.TryCreate(cookie, out var key))
        {
            return;
        }
        Interlocked.Increment(ref _epoch);
        RememberEnded(key);
        if (_entries.TryRemove(key, out var entry))
        {
            _keyBySession.TryRemove(entry.SessionId, out _);
            CancelRevocationToken(entry.SessionId);
        }
    }

    private async Task<SessionLookup> ResolveAsync(SessionKey key, string cookie, ClientInfo? client, bool withDetails)
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
                if (_entries.TryRemove(key, out var stale))
                {
                    _keyBySession.TryRemove(stale.SessionId, out _);
                    CancelRevocationToken(stale.SessionId);
                }
                RememberEnded(key);
                return new SessionLookup(SessionState.Ended, cookie, null);
            }
            activity?.SetTag("session.state", "live");
            // A session that needed its details once (pages) keeps them across renewals.
            var keepDetails = withDetails || (_entries.TryGetValue(key, out var previous) && previous.Details is not null);
            var live = Remember(key, resolved, epoch, keepDetails);
            return new SessionLookup(cookie, live, resolved);
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
            _inFlight.TryRemove(key, out _);
        }
    }

    /// <summary>Caches the session when no event came in since <paramref name="epoch"/>; returns the entry either way.</summary>
    private LiveSession Remember(SessionKey key, ResolvedSession session, long epoch, bool keepDetails)
    {
        var live = LiveSession.From(session, time.GetUtcNow(), keepDetails);
        if (!_streamLive || Interlocked.Read(ref _epoch) != epoch)
        {
            return live;
        }
        if (_entries.Count >= _maxEntries)
        {
            Sweep();
        }
        _endedUntil.TryRemove(key, out _);
        _entries[key] = live;
        _keyBySession[live.SessionId] = key;
        // An event may have slipped in between the check above and the store: undo rather than serve stale data.
        if (Interlocked.Read(ref _epoch) != epoch)
        {
            _entries.TryRemove(key, out _);
            _keyBySession.TryRemove(live.SessionId, out _);
        }
        return live;
    }

    private void RememberEnded(SessionKey key)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (_endedUntil.Count >= _maxEntries)
        {
            foreach (var (ended, until) in _endedUntil)
            {
                if (until <= now)
                {
                    _endedUntil.TryRemove(ended, out _);
                }
            }
            if (_endedUntil.Count >= _maxEntries)
            {
                _endedUntil.Clear();
            }
        }
        _endedUntil[key] = now + EndedMemory.Ticks;
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
        foreach (var (key, entry) in _entries)
        {
            if (!entry.IsFresh(now, _renewalMargin) && _entries.TryRemove(key, out _))
            {
                _keyBySession.TryRemove(entry.SessionId, out _);
            }
        }
        if (_entries.Count >= _maxEntries)
        {
            _entries.Clear();
            _keyBySession.Clear();
        }
    }
}
