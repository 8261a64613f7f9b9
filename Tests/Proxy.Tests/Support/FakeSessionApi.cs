using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TestSupport;

namespace Proxy.Tests.Support;

/// <summary>
/// The SessionApi's internal contract in memory, on Kestrel: sessions, resolve (counted), revoke, list and the SSE
/// event stream. Tests can publish events, drop the stream, or make the whole service fail (503).
/// </summary>
public sealed class FakeSessionApi : IAsyncDisposable
{
    public const string CallerKey = "fake-caller-key-0123456789-0123456789";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Entry> _byCookie = new();
    private readonly ConcurrentDictionary<Channel<SessionEvent>, byte> _streams = new();
    private readonly ConcurrentDictionary<string, int> _rateCounts = new();

    /// <summary>Every rate-limit counter the Proxy asked about, in order ("&lt;budget&gt;:ip:&lt;ip&gt;", "&lt;budget&gt;:s:&lt;digest&gt;").</summary>
    public ConcurrentQueue<string> RateLimitKeys { get; } = new();
    private int _minted;
    private int _resolves;

    private sealed class Entry(SessionView view)
    {
        public SessionView View { get; set; } = view;
        public bool Ended { get; set; }
    }

    private FakeSessionApi(WebApplication app, int port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}";
    }

    public string Url { get; }

    /// <summary>Lifetime of the tokens this fake "mints".</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>When true every call answers 503 (Redis behind it is down).</summary>
    public bool Failing { get; set; }

    /// <summary>User ids whose change notifications fail with 500 (the SessionApi losing Redis mid-delivery).</summary>
    public ConcurrentDictionary<string, byte> FailingUserChanges { get; } = new();

    /// <summary>When true only the event stream answers 503 (sessions still resolve).</summary>
    public bool RefuseEvents { get; set; }

    public int Resolves => Volatile.Read(ref _resolves);

    public int StreamCount => _streams.Count;

    public ConcurrentQueue<CreateSessionRequest> Created { get; } = new();

    public ConcurrentQueue<RevokeSessionsRequest> Revoked { get; } = new();

    /// <summary>POST /internal/v1/users/{id}/changed calls (the user webhook), in order.</summary>
    public ConcurrentQueue<(string UserId, UserChangedRequest Request)> UserChanges { get; } = new();

    private readonly ConcurrentDictionary<string, byte> _nonces = new();

    public ConcurrentQueue<string> MintedTokens { get; } = new();

    public static async Task<FakeSessionApi> StartAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeSessionApi(app, port);
        fake.Map(app);
        await app.StartAsync();
        return fake;
    }

    /// <summary>A live session that exists only here (e.g. another user's), as the cookie a browser would hold.</summary>
    public (string Cookie, SessionView View) AddSession(string userId, string email)
    {
        var user = JsonSerializer.SerializeToElement(new { id = userId, email, role = "authenticated", aud = "authenticated", is_anonymous = false });
        return Add(userId, user, "127.0.0.1", "test");
    }

    public SessionView? Find(string cookie) => _byCookie.TryGetValue(cookie, out var entry) && !entry.Ended ? entry.View : null;

    /// <summary>Ends sessions here (as Redis would) without telling anyone.</summary>
    public void EndQuietly(string sessionId)
    {
        foreach (var entry in _byCookie.Values.Where(e => e.View.Id == sessionId))
        {
            entry.Ended = true;
        }
    }

    public async Task PublishAsync(SessionEvent sessionEvent)
    {
        foreach (var stream in _streams.Keys)
        {
            await stream.Writer.WriteAsync(sessionEvent);
        }
    }

    /// <summary>Closes every open event stream (the Proxy must stop trusting its cache until it reconnects).</summary>
    public void DropStreams()
    {
        foreach (var stream in _streams.Keys)
        {
            stream.Writer.TryComplete();
        }
    }

    private (string Cookie, SessionView View) Add(string userId, JsonElement user, string? ip, string? userAgent)
    {
        var cookie = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)) + "." + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var now = DateTimeOffset.UtcNow;
        var view = new SessionView(Guid.NewGuid().ToString(), userId, Guid.NewGuid().ToString(), now, now, now.AddDays(1), "aal1",
            JsonSerializer.SerializeToElement(new[] { new { method = "password", timestamp = now.ToUnixTimeSeconds() } }), ip, userAgent, user);
        _byCookie[cookie] = new Entry(view);
        return (cookie, view);
    }

    private MintedToken Mint(SessionView view)
    {
        var n = Interlocked.Increment(ref _minted);
        var token = $"minted-{view.Id}-{n}";
        MintedTokens.Enqueue(token);
        return new MintedToken(token, DateTimeOffset.UtcNow + TokenLifetime, $"assertion-{view.Id}-{n}");
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization != "Bearer " + CallerKey)
            {
                context.Response.StatusCode = 401;
                return;
            }
            if (Failing)
            {
                context.Response.StatusCode = 503;
                return;
            }
            await next(context);
        });
        var json = SessionApiJsonContext.Default;
        app.MapGet("/alive", () => "ok");
        app.MapPost("/internal/v1/sessions", (CreateSessionRequest request) =>
        {
            Created.Enqueue(request);
            var userId = request.GoTrue.User.GetProperty("id").GetString()!;
            var (cookie, view) = Add(userId, request.GoTrue.User, request.Client.Ip, request.Client.UserAgent);
            return Results.Json(new CreateSessionResponse(cookie, view, Mint(view)), json.CreateSessionResponse, statusCode: 201);
        });
        app.MapPost("/internal/v1/sessions/resolve", (ResolveSessionRequest request) =>
        {
            Interlocked.Increment(ref _resolves);
            return Find(request.Cookie) is { } view
                ? Results.Json(new ResolvedSession(view, Mint(view)), json.ResolvedSession)
                : Results.Problem(statusCode: 404);
        });
        app.MapPost("/internal/v1/sessions/revoke", async (RevokeSessionsRequest request) =>
        {
            Revoked.Enqueue(request);
            if (Find(request.Cookie) is not { } current)
            {
                return Results.Problem(statusCode: 404);
            }
            var mine = _byCookie.Values.Where(e => !e.Ended && e.View.UserId == current.UserId).ToList();
            var ending = request.Scope switch
            {
                "current" => mine.Where(e => e.View.Id == current.Id),
                "others" => mine.Where(e => e.View.Id != current.Id),
                "all" => mine,
                "one" => mine.Where(e => e.View.Id == request.SessionId),
                _ => [],
            };
            var ids = new List<string>();
            foreach (var entry in ending.ToList())
            {
                entry.Ended = true;
                ids.Add(entry.View.Id);
            }
            if (request.Scope == "one" && ids.Count == 0)
            {
                return Results.Problem(statusCode: 404);
            }
            await PublishAsync(new SessionEvent("revoked", current.UserId, ids, "signed out"));
            return Results.Json(new RevokeSessionsResponse(ids), json.RevokeSessionsResponse);
        });
        app.MapPost("/internal/v1/nonces", (NonceRequest request) =>
            _nonces.TryAdd($"{request.Scope}:{request.Id}", 0) ? Results.Json(new NonceResponse(true), statusCode: 201) : Results.StatusCode(409));
        app.MapDelete("/internal/v1/nonces/{scope}/{id}", (string scope, string id) =>
            _nonces.TryRemove($"{scope}:{id}", out _) ? Results.NoContent() : Results.NotFound());
        app.MapPost("/internal/v1/users/{userId}/changed", (string userId, UserChangedRequest request) =>
        {
            if (FailingUserChanges.ContainsKey(userId))
            {
                return Results.StatusCode(500);
            }
            UserChanges.Enqueue((userId, request));
            return Results.Json(new UserChangedResponse(request.Change, []));
        });
        app.MapPost("/internal/v1/rate-limit", (RateLimitRequest request) =>
        {
            RateLimitKeys.Enqueue(request.Key);
            var count = _rateCounts.AddOrUpdate(request.Key, 1, (_, n) => n + 1);
            return Results.Json(new RateLimitResponse(count <= request.Limit, Math.Max(0, request.Limit - count), request.WindowSeconds), json.RateLimitResponse);
        });
        app.MapGet("/internal/v1/users/{userId}/sessions", (string userId) =>
            Results.Json(new SessionListResponse([.. _byCookie.Values.Where(e => !e.Ended && e.View.UserId == userId).Select(e => e.View)]), json.SessionListResponse));
        app.MapGet("/internal/v1/events", async (HttpContext context) =>
        {
            if (RefuseEvents)
            {
                context.Response.StatusCode = 503;
                return;
            }
            var stream = Channel.CreateUnbounded<SessionEvent>();
            _streams[stream] = 0;
            try
            {
                context.Response.ContentType = "text/event-stream";
                await WriteEventAsync(context, new SessionEvent("hello", null, [], null));
                await foreach (var sessionEvent in stream.Reader.ReadAllAsync(context.RequestAborted))
                {
                    await WriteEventAsync(context, sessionEvent);
                }
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                _streams.TryRemove(stream, out _);
            }
        });
    }

    private static async Task WriteEventAsync(HttpContext context, SessionEvent sessionEvent)
    {
        await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(sessionEvent, SessionApiJsonContext.Default.SessionEvent) + "\n\n");
        await context.Response.Body.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        DropStreams();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
