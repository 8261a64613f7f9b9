using Proxy.Routing;
using Proxy.Sessions;

namespace Proxy.Security;

/// <summary>
/// An unsafe request that carries our cookie must come from a configured origin (Origin header) or, without
/// Origin, be marked same-origin by the browser (Sec-Fetch-Site). Applies to every route, proxied or not.
/// Routes with the <see cref="RoutePolicies.SignIn"/> policy are checked even without a cookie (login CSRF: a foreign
/// page must not sign the browser into the attacker's account); there a request without any browser marker (a
/// script, curl) may pass.
/// </summary>
public sealed class CsrfMiddleware(RequestDelegate next, OriginPolicy origins)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var method = request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method))
        {
            return next(context);
        }
        var hasCookie = SessionFeature.Of(context).CarriesCookie;
        if (!hasCookie && !context.HasRoutePolicy<RoutePolicies.SignIn>())
        {
            return next(context);
        }
        return IsSameOrigin(request, origins, requireMarker: hasCookie)
            ? next(context)
            : CsrfRejection.WriteAsync(context, origins, carriedCookie: hasCookie);
    }

    /// <summary>
    /// Origin, when sent, must be a configured origin. Without Origin, Sec-Fetch-Site decides; with neither, only
    /// requests that do not need a browser marker pass (<paramref name="requireMarker"/> false).
    /// </summary>
    public static bool IsSameOrigin(HttpRequest request, OriginPolicy origins, bool requireMarker)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            return origins.IsAllowed(origin);
        }
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length == 0)
        {
            return !requireMarker;
        }
        return string.Equals(site, "same-origin", StringComparison.OrdinalIgnoreCase);
    }
}
