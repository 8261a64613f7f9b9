using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using SessionApi.Events;
using SessionApi.Options;
using SessionApi.Storage;
using SessionApi.Supabase;
using SessionApi.Tokens;

namespace SessionApi.Sessions;

/// <summary>Thrown for input the API must refuse with 400.</summary>
public sealed class InvalidSessionRequestException(string message) : Exception(message);

/// <summary>The session lifecycle: create, resolve (touch + mint), list, revoke, user updates.</summary>
public sealed class SessionService(
    ISessionStore store,
    TokenMinter minter,
    SessionEventHub events,
    GoTrueSessionRefresher refresher,
    SupabaseSync supabase,
    IOptions<SessionLifetimeOptions> lifetimes,
    TimeProvider time,
    ILogger<SessionService> logger)
{
    private static readonly ActivitySource Activities = new("SessionApi.Sessions");
    private static readonly Meter Meter = new("SessionApi.Sessions");
    private static readonly Counter<long> Started = Meter.CreateCounter<long>("sessions.started");
    private static readonly Counter<long> Ended = Meter.CreateCounter<long>("sessions.ended");
    private static readonly Counter<long> Revoked = Meter.CreateCounter<long>("sessions.revoked");

    private static readonly JsonElement EmptyArray = JsonDocument.Parse("[]").RootElement;
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement;

    private SessionLifetimeOptions Lifetimes => lifetimes.Value;

    public async Task<CreateSessionResponse> CreateAsync(CreateSessionRequest request, CancellationToken ct)
    {
        using var activity = Activities.StartActivity("session.create");
        // Records are not null-checked by the serializer: a missing member arrives as null.
        var goTrue = request?.GoTrue ?? throw new InvalidSessionRequestException("'goTrue' (the session GoTrue issued) is required.");
        var token = GoTrueAccessToken.Read(goTrue.AccessToken);
        if (string.IsNullOrEmpty(goTrue.RefreshToken) || goTrue.RefreshToken.Length > 4096)
        {
            throw new InvalidSessionRequestException("The GoTrue session has no usable refresh token.");
        }
        var now = time.GetUtcNow();
        var cookie = SessionCookie.CreateNew();
        var record = new SessionRecord
        {
            PublicId = Guid.NewGuid().ToString(),
            UserId = token.UserId,
            GoTrueSessionId = token.SessionId,
            CreatedAt = now,
            LastSeenAt = now,
            AbsoluteExpiresAt = now + Lifetimes.AbsoluteLifetime,
            Aal = token.Aal ?? "aal1",
            Amr = token.Amr ?? EmptyArray,
            Ip = Truncate(request.Client?.Ip, 64),
            UserAgent = Truncate(request.Client?.UserAgent, 512),
            User = goTrue.User.ValueKind == JsonValueKind.Object ? goTrue.User.Clone() : EmptyObject,
            Claims = token.Claims,
            SealedRefreshToken = SecretBox.Seal(goTrue.RefreshToken, cookie.Secret, cookie.Key),
            GoTrueExpiresAt = goTrue.ExpiresAt > 0 ? DateTimeOffset.FromUnixTimeSeconds(goTrue.ExpiresAt) : now.AddSeconds(goTrue.ExpiresIn),
        };
        await store.CreateAsync(cookie.Key, record, TimeToLive(record, now), ct);
        Started.Add(1);
        activity?.SetTag("session.id", record.PublicId);
        Mirror(record, now);
        return new CreateSessionResponse(cookie.Value, View(record), minter.Mint(record));
    }

    /// <summary>Null when the session is unknown, expired or revoked (or the cookie secret does not match).</summary>
    public async Task<ResolvedSession?> ResolveAsync(ResolveSessionRequest request, CancellationToken ct)
    {
        using var activity = Activities.StartActivity("session.resolve");
        var (cookie, record) = await LoadAsync(request?.Cookie, ct);
        if (record is null)
        {
            return null;
        }
        var client = request!.Client;
        if (refresher.IsDue(record))
        {
            var outcome = await refresher.RefreshAsync(cookie, record, client?.Ip ?? record.Ip, ct);
            if (outcome.Refused)
            {
                await EndAsync([(cookie.Key, outcome.Record!)], "GoTrue refused to refresh the session", goTrueScope: null);
                return null;
            }
            if (outcome.Record is null)
            {
                return null;
            }
            record = outcome.Record;
        }
        var now = time.GetUtcNow();
        if (now - record.LastSeenAt >= Lifetimes.TouchInterval)
        {
            var touched = await store.ModifyAsync(cookie.Key, stored => stored with
            {
                LastSeenAt = now,
                Ip = Truncate(client?.Ip, 64) ?? stored.Ip,
                UserAgent = Truncate(client?.UserAgent, 512) ?? stored.UserAgent,
            }, stored => TimeToLive(stored, now), ct);
            if (touched is null)
            {
                return null; // revoked while we were looking at it
            }
            record = touched;
            Mirror(record, now);
        }
        activity?.SetTag("session.id", record.PublicId);
        return new ResolvedSession(View(record), minter.Mint(record));
    }

    public async Task<IReadOnlyList<SessionView>> ListAsync(string userId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return (await store.ListByUserAsync(ValidUserId(userId), ct))
            .Where(s => s.Record.ExpiresAt(Lifetimes.IdleTimeout) > now)
            .OrderByDescending(s => s.Record.CreatedAt)
            .Select(s => View(s.Record))
            .ToList();
    }

    /// <summary>Revokes by scope relative to the cookie's session. Null when the cookie names no live session.</summary>
    public async Task<IReadOnlyList<string>?> RevokeAsync(RevokeSessionsRequest request, CancellationToken ct)
    {
        var (cookie, current) = await LoadAsync(request?.Cookie, ct);
        if (current is null)
        {
            return null;
        }
        List<(string Key, SessionRecord Record)> targets;
        switch (request!.Scope)
        {
            case "current":
                targets = [(cookie.Key, current)];
                break;
            case "others":
            case "all":
                targets = (await store.ListByUserAsync(current.UserId, ct))
                    .Where(s => request.Scope == "all" || s.Key != cookie.Key)
                    .ToList();
                if (request.Scope == "all" && targets.All(t => t.Key != cookie.Key))
                {
                    targets.Add((cookie.Key, current));
                }
                break;
            case "one":
                if (!Guid.TryParse(request.SessionId, out var publicId))
                {
                    throw new InvalidSessionRequestException("'sessionId' must be a UUID.");
                }
                var key = await store.FindKeyAsync(current.UserId, publicId.ToString(), ct);
                var target = key is null ? null : await store.GetAsync(key, ct);
                if (target is null || target.UserId != current.UserId)
                {
                    return []; // not found, or someone else's: indistinguishable to the caller
                }
                targets = [(key!, target)];
                break;
            default:
                throw new InvalidSessionRequestException("'scope' must be one of current, others, all, one.");
        }
        await EndAsync(targets, request.Scope == "all" ? "signed out everywhere" : "revoked", goTrueScope: request.Scope == "all" ? "global" : "local");
        return targets.Select(t => t.Record.PublicId).ToList();
    }

    /// <summary>Ends every session of a user (banned or deleted upstream).</summary>
    public async Task<IReadOnlyList<string>> RevokeUserAsync(string userId, string reason, CancellationToken ct)
    {
        var targets = await store.ListByUserAsync(ValidUserId(userId), ct);
        await EndAsync(targets, reason, goTrueScope: null);
        return targets.Select(t => t.Record.PublicId).ToList();
    }

    /// <summary>Replaces the stored user object in every live session of the user; the next minted tokens carry it.</summary>
    public async Task<int> UpdateUserAsync(string userId, JsonElement user, CancellationToken ct)
    {
        if (user.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidSessionRequestException("The body must be a user object.");
        }
        var replacement = user.Clone();
        return (await ChangeUserAsync(userId, user, _ => replacement, ct)).Count;
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the stored user object of every live session of the user (each write a
    /// compare-and-set, so a touch or refresh racing it keeps the change) and tells the Proxies, whose cached tokens
    /// carry the old user. <paramref name="user"/> is what the caller sent: its 'id', if any, must be the user's.
    /// Returns the public ids of the user's live sessions.
    /// </summary>
    public async Task<IReadOnlyList<string>> ChangeUserAsync(string userId, JsonElement user, Func<JsonElement, JsonElement> change, CancellationToken ct)
    {
        userId = ValidUserId(userId);
        if (user.TryGetProperty("id", out var id) && !(id.ValueKind == JsonValueKind.String && Guid.TryParse(id.GetString(), out var parsed) && parsed.ToString() == userId))
        {
            throw new InvalidSessionRequestException("The user object's 'id' does not match the user id in the path.");
        }
        var now = time.GetUtcNow();
        var changed = new List<string>();
        foreach (var (key, record) in await store.ListByUserAsync(userId, ct))
        {
            if (TimeToLive(record, now) <= TimeSpan.Zero)
            {
                continue;
            }
            // Null when the session ended meanwhile: nothing to refresh then.
            await store.ModifyAsync(key, stored => stored with { User = change(stored.User) }, stored => TimeToLive(stored, now), ct, confirmOnReplica: true);
            changed.Add(record.PublicId);
        }
        if (changed.Count > 0)
        {
            await events.PublishAsync(new SessionEvent("updated", userId, changed, "user updated"), ct);
        }
        return changed;
    }

    private async Task EndAsync(IReadOnlyList<(string Key, SessionRecord Record)> targets, string reason, string? goTrueScope)
    {
        if (targets.Count == 0)
        {
            return;
        }
        // Redis first: once this returns, no instance can resolve these sessions (fail closed). Neither step
        // follows the caller's cancellation: a revoke whose event never went out would leave Proxy caches stale.
        // Both are bounded by the Redis command timeout.
        // A deletion no replica acknowledged is not confirmed (503: a failover could bring the sessions back), but it
        // did happen on the master: the event still goes out so no Proxy keeps serving them from its cache.
        ExceptionDispatchInfo? unconfirmed = null;
        try
        {
            await store.DeleteAsync(targets, CancellationToken.None);
        }
        catch (ReplicaAcknowledgementException e)
        {
            unconfirmed = ExceptionDispatchInfo.Capture(e);
        }
        Revoked.Add(targets.Count);
        Ended.Add(targets.Count);
        await events.PublishAsync(new SessionEvent("revoked", targets[0].Record.UserId, targets.Select(t => t.Record.PublicId).ToList(), reason), CancellationToken.None);
        unconfirmed?.Throw();
        var now = time.GetUtcNow();
        foreach (var (_, record) in targets)
        {
            var row = MirrorRow(record);
            row["revoked_at"] = now;
            supabase.Mirror(row);
            if (goTrueScope == "local" && record.GoTrueSessionId is not null)
            {
                supabase.EndGoTrueSession(minter.Mint(record).AccessToken, "local");
            }
        }
        if (goTrueScope == "global")
        {
            supabase.EndGoTrueSession(minter.Mint(targets[0].Record).AccessToken, "global");
        }
        logger.LogInformation("Ended {Count} session(s) of user {UserId}: {Reason}", targets.Count, targets[0].Record.UserId, reason);
    }

    private async Task<(SessionCookie Cookie, SessionRecord? Record)> LoadAsync(string? cookieValue, CancellationToken ct)
    {
        if (!SessionCookie.TryParse(cookieValue, out var cookie))
        {
            throw new InvalidSessionRequestException("The session cookie is malformed.");
        }
        var record = await store.GetAsync(cookie.Key, ct);
        if (record is null || record.ExpiresAt(Lifetimes.IdleTimeout) <= time.GetUtcNow())
        {
            return (cookie, null);
        }
        // The AES-GCM tag proves the caller holds this session's secret, not just its id.
        if (SecretBox.Open(record.SealedRefreshToken, cookie.Secret, cookie.Key) is null)
        {
            logger.LogWarning("A session cookie with a valid id but a wrong secret was presented");
            return (cookie, null);
        }
        return (cookie, record);
    }

    private TimeSpan TimeToLive(SessionRecord record, DateTimeOffset now) => record.ExpiresAt(Lifetimes.IdleTimeout) - now;

    private SessionView View(SessionRecord record) => new(
        record.PublicId, record.UserId, record.GoTrueSessionId, record.CreatedAt, record.LastSeenAt,
        record.ExpiresAt(Lifetimes.IdleTimeout), record.Aal, record.Amr, record.Ip, record.UserAgent, record.User);

    private void Mirror(SessionRecord record, DateTimeOffset now)
    {
        var row = MirrorRow(record);
        row["last_seen_at"] = now;
        supabase.Mirror(row);
    }

    private Dictionary<string, object?> MirrorRow(SessionRecord record) => new()
    {
        ["id"] = record.PublicId,
        ["user_id"] = record.UserId,
        ["created_at"] = record.CreatedAt,
        ["last_seen_at"] = record.LastSeenAt,
        ["expires_at"] = record.ExpiresAt(Lifetimes.IdleTimeout),
        ["ip"] = record.Ip,
        ["user_agent"] = record.UserAgent,
        ["aal"] = record.Aal,
        ["revoked_at"] = null,
    };

    private static string ValidUserId(string userId) =>
        Guid.TryParse(userId, out var id) ? id.ToString() : throw new InvalidSessionRequestException("The user id must be a UUID.");

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
