using Proxy.Cookies;
using Proxy.Sessions;
using Yarp.ReverseProxy.Transforms;

namespace Proxy.Forwarding;

/// <summary>
/// To SampleWeb: our cookie removed (its own cookies, such as antiforgery, pass), any browser-sent X-Gateway-* header
/// removed, and the session's identity assertion (or X-Gateway-Session: ended / unavailable) added.
/// </summary>
public sealed class SampleWebRequestTransform(SessionCookiePolicy cookies) : RequestTransform
{
    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var headers = context.ProxyRequest.Headers;
        var cookie = cookies.WithoutSessionCookie(context.HttpContext.Request.Headers.Cookie.ToString());
        headers.Remove("Cookie");
        if (cookie is not null)
        {
            headers.TryAddWithoutValidation("Cookie", cookie);
        }
        foreach (var name in headers.Select(h => h.Key).Where(k => k.StartsWith("X-Gateway-", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            headers.Remove(name);
        }
        switch (context.HttpContext.Features.Get<SessionFeature>()?.Lookup)
        {
            case { State: SessionState.Live, Session: { } session }:
                headers.TryAddWithoutValidation("X-Gateway-Identity", session.Token.IdentityAssertion);
                break;
            case { State: SessionState.Ended }:
                headers.TryAddWithoutValidation("X-Gateway-Session", "ended");
                break;
            case { State: SessionState.Unavailable }:
                headers.TryAddWithoutValidation("X-Gateway-Session", "unavailable");
                break;
        }
        return ValueTask.CompletedTask;
    }
}
