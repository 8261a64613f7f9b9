using Microsoft.AspNetCore.Http;
using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Contracts;
using Proxy.Sessions;

namespace Proxy.Tests.Realtime;

/// <summary>
/// An in-memory <see cref="ISessionCache"/>: the relay's only dependency on the session core. Each renewal mints a
/// new token "tok-&lt;session&gt;-&lt;n&gt;" valid for the session's lifetime; sessions can be revoked, ended or made unavailable.
/// </summary>
public sealed class FakeSessionCache(TimeProvider time) : ISessionCache
{
    public const string CookieName = "sb-session";

    private readonly ConcurrentDictionary<string, FakeSession> _byCookie = new();
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _revocations = new();

    public sealed class FakeSession(string id, TimeSpan lifetime)
    {
        private int _minted;
        public string Id { get; } = id;
        public TimeSpan Lifetime { get; } = lifetime;
        public SessionState State { get; set; } = SessionState.Live;
        public ConcurrentQueue<string> Minted { get; } = new();
        public string Mint()
        {
            var token = $"tok-{Id}-{Interlocked.Increment(ref _minted)}";
            Minted.Enqueue(token);
            return token;
        }
    }

    /// <summary>Creates a live session and returns its cookie value.</summary>
    public (string Cookie, FakeSession Session) AddLive(TimeSpan lifetime)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var session = new FakeSession(id, lifetime);
        var cookie = "cookie-" + id;
        _byCookie[cookie] = session;
        return (cookie, session);
    }

    public void Revoke(FakeSession session)
    {
        session.State = SessionState.Ended;
        _revocations.GetOrAdd(session.Id, _ => new CancellationTokenSource()).Cancel();
    }

    public ValueTask<SessionLookup> LookupAsync(HttpContext context, CancellationToken cancellationToken) =>
        context.Request.Cookies.TryGetValue(CookieName, out var cookie)
            ? LookupAsync(cookie, cancellationToken)
            : ValueTask.FromResult(new SessionLookup(SessionState.Anonymous, null, null));

    public ValueTask<SessionLookup> LookupAsync(string cookie, CancellationToken cancellationToken)
    {
        if (!_byCookie.TryGetValue(cookie, out var session))
        {
            return ValueTask.FromResult(new SessionLookup(SessionState.Ended, cookie, null));
        }
        if (session.State != SessionState.Live)
        {
            return ValueTask.FromResult(new SessionLookup(session.State, cookie, null));
        }
        var now = time.GetUtcNow();
        var empty = JsonDocument.Parse("{}").RootElement;
        var view = new SessionView(session.Id, "user-1", null, now, now, now.AddDays(1), "aal1", JsonDocument.Parse("[]").RootElement, null, null, empty);
        var token = new MintedToken(session.Mint(), now + session.Lifetime, "assertion");
        return ValueTask.FromResult(new SessionLookup(SessionState.Live, cookie, new ResolvedSession(view, token)));
    }

    public CancellationToken GetRevocationToken(string sessionId) =>
        _revocations.GetOrAdd(sessionId, _ => new CancellationTokenSource()).Token;
}
