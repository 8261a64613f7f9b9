using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Contracts;
using Proxy.Cookies;
using Proxy.Sessions;

namespace Proxy.Auth;

/// <summary>
/// Turns a GoTrue session into a gateway session: the SessionApi stores it, the browser gets a fresh cookie
/// (any previous session on this browser is ended: no fixation) and a placeholder body.
/// </summary>
public sealed class SignInCompleter(SessionApiClient sessionApi, SessionCache cache, SessionCookiePolicy cookies, PlaceholderTokens placeholders,
    TimeProvider time, ILogger<SignInCompleter> logger)
{
    /// <summary>True when the GoTrue body is a session (§6.3: access_token, refresh_token and expires_in all present).</summary>
    public static bool TryReadSession(byte[] body, out GoTrueSession? session)
    {
        session = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("access_token", out var access) || access.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("refresh_token", out var refresh) || refresh.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("expires_in", out var expiresIn) || expiresIn.ValueKind != JsonValueKind.Number)
            {
                return false;
            }
            var expiresAt = root.TryGetProperty("expires_at", out var at) && at.TryGetInt64(out var value)
                ? value : DateTimeOffset.UtcNow.ToUnixTimeSeconds() + expiresIn.GetInt64();
            var user = root.TryGetProperty("user", out var u) ? u.Clone() : default;
            session = new GoTrueSession(access.GetString()!, refresh.GetString()!, expiresIn.GetInt64(), expiresAt, user);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Creates the server session and sets the cookie; returns the placeholder body for the browser.</summary>
    public async Task<JsonObject> CompleteAsync(HttpContext context, GoTrueSession goTrue, CancellationToken ct)
    {
        var previous = SessionFeature.Of(context).PlausibleCookie;
        var client = new ClientInfo(context.Connection.RemoteIpAddress?.ToString(), context.Request.Headers.UserAgent.ToString());
        var created = await sessionApi.CreateAsync(new CreateSessionRequest(goTrue, client), ct)
            ?? throw new SessionApiUnavailableException("The session service refused the new session.");
        var resolved = new ResolvedSession(created.Session, created.Token);
        cache.Store(created.Cookie, resolved);
        cookies.Write(context, created.Cookie, created.Session.ExpiresAt);
        if (previous is not null && previous != created.Cookie)
        {
            // No fixation and no orphans: the session this browser held before is ended, not just replaced.
            cache.Forget(previous);
            await EndPreviousAsync(previous);
        }
        return placeholders.SessionBody(resolved, time.GetUtcNow());
    }

    private async Task EndPreviousAsync(string previous)
    {
        try
        {
            await sessionApi.RevokeAsync(new RevokeSessionsRequest(previous, "current"), CancellationToken.None);
        }
        catch (SessionApiUnavailableException e)
        {
            logger.LogWarning("Could not end the previous session after a new sign-in: {Reason}", e.Message);
        }
    }
}
