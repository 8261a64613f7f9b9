using System.Diagnostics;
using System.Text.Json;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using SessionApi.Events;
using SessionApi.Options;
using SessionApi.Supabase;

namespace SessionApi.Sessions;

/// <summary>What a refresh attempt left us with: the record to serve, nothing (session gone), or a refusal.</summary>
public readonly record struct RefreshOutcome(SessionRecord? Record, bool Refused);

/// <summary>
/// Keeps the GoTrue session behind a gateway session alive (issue 8). Runs inside resolve, the only moment the
/// cookie secret (which unseals the refresh token) is present. Single-flight across every instance: a Redis lock
/// per session; the winner spends the refresh token, the others poll for its result instead of spending it again
/// (GoTrue would see a reuse). A definite refusal from GoTrue ends the session; an unreachable GoTrue does not
/// (minted tokens do not depend on GoTrue's), it only backs off until the lock expires.
/// </summary>
public sealed class GoTrueSessionRefresher(
    ISessionStore store,
    GoTrueClient goTrue,
    SessionEventHub events,
    IOptions<SessionLifetimeOptions> lifetimes,
    TimeProvider time,
    ILogger<GoTrueSessionRefresher> logger)
{
    private const string BackOffMarker = "back-off";
    private static readonly TimeSpan LockLifetime = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly ActivitySource Activities = new("SessionApi.Sessions");

    /// <summary>
    /// True when GoTrue's access token expires within the margin. The margin is capped at half the token's
    /// lifetime so a project with very short-lived tokens does not refresh on every request.
    /// </summary>
    public bool IsDue(SessionRecord record)
    {
        var margin = lifetimes.Value.GoTrueRefreshMargin;
        if (record.Claims.ValueKind == JsonValueKind.Object
            && record.Claims.TryGetProperty("iat", out var iat) && iat.TryGetInt64(out var issued)
            && record.Claims.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var expires)
            && TimeSpan.FromSeconds(expires - issued) / 2 is var half && half < margin)
        {
            margin = half;
        }
        return record.GoTrueExpiresAt - time.GetUtcNow() <= margin;
    }

    public async Task<RefreshOutcome> RefreshAsync(SessionCookie cookie, SessionRecord record, string? clientIp, CancellationToken requestAborted)
    {
        // Not the request's token: once GoTrue rotates the refresh token we must store the new one even if the
        // caller hung up, or the session would be stuck with a spent token. Bounded by the lock's lifetime.
        using var bounded = new CancellationTokenSource(LockLifetime - TimeSpan.FromSeconds(1));
        var ct = bounded.Token;
        var lockToken = await store.TryLockRefreshAsync(cookie.Key, LockLifetime, ct);
        if (lockToken is null)
        {
            return await WaitForWinnerAsync(cookie.Key, record, requestAborted);
        }
        using var activity = Activities.StartActivity("session.refresh");
        var latest = await store.GetAsync(cookie.Key, ct);
        if (latest is null || latest.GoTrueExpiresAt > record.GoTrueExpiresAt)
        {
            // Revoked meanwhile, or another instance refreshed between our read and our lock.
            await store.ReleaseRefreshLockAsync(cookie.Key, lockToken, null, ct);
            return new RefreshOutcome(latest, Refused: false);
        }
        var refreshToken = SecretBox.Open(latest.SealedRefreshToken, cookie.Secret, cookie.Key);
        if (refreshToken is null)
        {
            await store.ReleaseRefreshLockAsync(cookie.Key, lockToken, null, ct);
            return new RefreshOutcome(null, Refused: false);
        }

        switch (await goTrue.RefreshAsync(refreshToken, clientIp, ct))
        {
            case GoTrueRefreshResult.Refreshed refreshed:
                SessionRecord? updated;
                var now = time.GetUtcNow();
                try
                {
                    // Applied to the record as stored at write time: a touch or user update that landed since our read is kept.
                    updated = await store.ModifyAsync(cookie.Key, stored => Apply(stored, refreshed.Session, cookie),
                        stored => stored.ExpiresAt(lifetimes.Value.IdleTimeout) - now, ct, confirmOnReplica: true);
                }
                catch (InvalidSessionRequestException e)
                {
                    logger.LogWarning("GoTrue's refreshed session for {SessionId} is unusable ({Reason}); ending it", latest.PublicId, e.Message);
                    return new RefreshOutcome(latest, Refused: true);
                }
                await store.ReleaseRefreshLockAsync(cookie.Key, lockToken, null, ct);
                if (updated is null)
                {
                    return new RefreshOutcome(null, Refused: false);
                }
                if (updated.User.GetRawText() != latest.User.GetRawText())
                {
                    // Other Proxies cache tokens minted from the old user object.
                    await events.PublishAsync(new SessionEvent("updated", updated.UserId, [updated.PublicId], "user changed at refresh"), ct);
                }
                logger.LogDebug("Refreshed the GoTrue session of {SessionId}", updated.PublicId);
                return new RefreshOutcome(updated, Refused: false);

            case GoTrueRefreshResult.Refused refused:
                // The lock stays until it expires: waiters then find the session gone once the caller revoked it.
                logger.LogInformation("GoTrue refused to refresh session {SessionId} ({Status} {Code}); ending it",
                    latest.PublicId, refused.Status, refused.Code);
                activity?.SetTag("gotrue.refused", refused.Code);
                return new RefreshOutcome(latest, Refused: true);

            case GoTrueRefreshResult.Unavailable unavailable:
                logger.LogWarning("Refreshing the GoTrue session of {SessionId} failed ({Reason}); retrying after {Seconds} s",
                    latest.PublicId, unavailable.Reason, LockLifetime.TotalSeconds);
                await store.ReleaseRefreshLockAsync(cookie.Key, lockToken, BackOffMarker, ct);
                return new RefreshOutcome(latest, Refused: false);

            default:
                throw new UnreachableException();
        }
    }

    private async Task<RefreshOutcome> WaitForWinnerAsync(string key, SessionRecord record, CancellationToken ct)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var holder = await store.PeekRefreshLockAsync(key, ct);
            var latest = await store.GetAsync(key, ct);
            if (latest is null || latest.GoTrueExpiresAt > record.GoTrueExpiresAt)
            {
                return new RefreshOutcome(latest, Refused: false);
            }
            if (holder is null or BackOffMarker || waited.Elapsed >= WaitLimit)
            {
                // No refresh in flight (it failed and backs off) or it takes too long: serve what we have.
                return new RefreshOutcome(latest, Refused: false);
            }
            await Task.Delay(PollInterval, ct);
        }
    }

    private SessionRecord Apply(SessionRecord latest, GoTrueSession session, SessionCookie cookie)
    {
        var token = GoTrueAccessToken.Read(session.AccessToken);
        if (token.UserId != latest.UserId)
        {
            throw new InvalidSessionRequestException("the refreshed token belongs to another user");
        }
        var expiresAt = session.ExpiresAt > 0
            ? DateTimeOffset.FromUnixTimeSeconds(session.ExpiresAt)
            : time.GetUtcNow().AddSeconds(session.ExpiresIn);
        return latest with
        {
            Claims = token.Claims,
            User = session.User.ValueKind == JsonValueKind.Object ? session.User.Clone() : latest.User,
            GoTrueSessionId = token.SessionId ?? latest.GoTrueSessionId,
            Aal = token.Aal ?? latest.Aal,
            Amr = token.Amr ?? latest.Amr,
            SealedRefreshToken = SecretBox.Seal(session.RefreshToken, cookie.Secret, cookie.Key),
            GoTrueExpiresAt = expiresAt,
        };
    }
}
