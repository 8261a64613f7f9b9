using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SupabaseEmulator.GoTrue;

/// <summary>The caller of an authenticated GoTrue route: verified claims, the user, the GoTrue session named by the token.</summary>
public sealed partial record BearerUser(JsonObject Claims, AuthUser User, Guid? SessionId)
{
    /// <summary>
    /// GoTrue's rules for /user and /logout (docs/supabase-contract.md §1.6, §1.7): 401 no_authorization without a bearer token;
    /// 403 bad_jwt for a bad signature, expiry or missing sub; 403 user_not_found, session_not_found, user_banned.
    /// </summary>
    public static async Task<(BearerUser? Caller, IResult? Problem)> AuthenticateAsync(
        HttpContext context, EmulatorJwt jwt, AuthUsers users, AuthSessions sessions, TimeProvider time, CancellationToken ct)
    {
        var match = BearerPattern().Match(context.Request.Headers.Authorization.ToString());
        if (!match.Success)
        {
            return (null, GoTrueErrors.Error(context, 401, "no_authorization", "This endpoint requires a valid Bearer token"));
        }
        var problem = jwt.Verify(match.Groups[1].Value, 0, out var claims, kidFallsBackToSecret: true);
        if (problem != JwtProblem.None)
        {
            var detail = problem == JwtProblem.Expired ? "token has invalid claims: token is expired" : "token signature is invalid";
            return (null, GoTrueErrors.Error(context, 403, "bad_jwt", "invalid JWT: unable to parse or verify signature, " + detail));
        }
        if (!Guid.TryParse(claims!["sub"]?.ToString(), out var userId))
        {
            return (null, GoTrueErrors.Error(context, 403, "bad_jwt", "invalid claim: missing sub claim"));
        }
        if (await users.FindByIdAsync(userId, ct) is not { } user)
        {
            return (null, GoTrueErrors.Error(context, 403, "user_not_found", "User from sub claim in JWT does not exist"));
        }
        Guid? sessionId = Guid.TryParse(claims["session_id"]?.ToString(), out var sid) && sid != Guid.Empty ? sid : null;
        if (sessionId is { } id && !await sessions.ExistsAsync(id, ct))
        {
            return (null, GoTrueErrors.Error(context, 403, "session_not_found", "Session from session_id claim in JWT does not exist"));
        }
        if (user.IsBanned(time.GetUtcNow()))
        {
            return (null, GoTrueErrors.Error(context, 403, "user_banned", "User is banned"));
        }
        return (new BearerUser(claims, user, sessionId), null);
    }

    [GeneratedRegex(@"^bearer (\S+)$", RegexOptions.IgnoreCase)]
    private static partial Regex BearerPattern();
}
