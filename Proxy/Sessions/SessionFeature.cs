using Gateway.Contracts;

namespace Proxy.Sessions;

/// <summary>
/// The request's session cookie, parsed once by the pipeline's session step (<see cref="SessionCookieStep"/>), and the
/// session lookup once made (<see cref="SessionGate"/>). Every later step reads this instead of the Cookie header.
/// </summary>
public sealed class SessionFeature(string? cookie, int cookieCount, bool carriesCookie)
{
    /// <summary>The raw value of this request's session cookie (the first of that name), null when absent.</summary>
    public string? Cookie { get; } = cookie;

    /// <summary>How many cookies carry this request's cookie name (more than one is refused: which one counts is ambiguous).</summary>
    public int CookieCount { get; } = cookieCount;

    /// <summary>Whether either spelling of the cookie (plain or "__Host-") came along: CSRF and cache headers go by this.</summary>
    public bool CarriesCookie { get; } = carriesCookie;

    /// <summary>The cookie when it could be one of ours (<see cref="SessionCookieFormat.IsPlausible"/>), else null.</summary>
    public string? PlausibleCookie => Cookie is { } value && SessionCookieFormat.IsPlausible(value) ? value : null;

    /// <summary>The session lookup, once made for this request (null before).</summary>
    public SessionLookup? Lookup { get; internal set; }

    /// <summary>The feature of this request; the session step always sets it.</summary>
    public static SessionFeature Of(HttpContext context) =>
        context.Features.Get<SessionFeature>() ?? throw new InvalidOperationException("The session step did not run for this request (see GatewayPipeline).");
}
