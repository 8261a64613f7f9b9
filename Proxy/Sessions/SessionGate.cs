using Proxy.Cookies;
using Proxy.Errors;

namespace Proxy.Sessions;

/// <summary>
/// The one place a session lookup becomes an answer: looked up once per request (kept in the
/// <see cref="SessionFeature"/>), and a cookie whose session is not live refused the same way everywhere: ended →
/// 401 session_expired and the cookie cleared, SessionApi unreachable → 503 session_store_unavailable, never an
/// anonymous fallback.
/// </summary>
public sealed class SessionGate(ISessionCache sessions, SessionCookiePolicy cookies)
{
    /// <summary>The request's session; <paramref name="withDetails"/> also fetches the user and the identity assertion.</summary>
    public async ValueTask<SessionLookup> LookupAsync(HttpContext context, bool withDetails)
    {
        var feature = SessionFeature.Of(context);
        var lookup = feature.Lookup ?? await sessions.LookupAsync(context, context.RequestAborted);
        if (withDetails)
        {
            lookup = await sessions.WithDetailsAsync(lookup, context.RequestAborted);
        }
        feature.Lookup = lookup;
        return lookup;
    }

    /// <summary>The refusal for this lookup (clearing an ended cookie), or null when the request may go on.</summary>
    public GatewayError? Refuse(HttpContext context, SessionLookup lookup, bool anonymousAllowed)
    {
        if (lookup.State == SessionState.Ended)
        {
            cookies.Clear(context);
        }
        return Refusal(lookup.State, anonymousAllowed);
    }

    /// <summary>The refusal for a session state, or null when the request may go on.</summary>
    public static GatewayError? Refusal(SessionState state, bool anonymousAllowed) => state switch
    {
        SessionState.Live => null,
        SessionState.Anonymous => anonymousAllowed ? null : GatewayErrors.SessionMissing,
        SessionState.Ended => GatewayErrors.SessionExpired,
        _ => GatewayErrors.SessionStoreUnavailable,
    };
}
