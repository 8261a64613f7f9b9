using Proxy.Cookies;
using Proxy.Errors;

namespace Proxy.Security;

/// <summary>
/// An unsafe request that carries our cookie must come from a configured origin (Origin header) or, without
/// Origin, be marked same-origin by the browser (Sec-Fetch-Site). Applies to every route, proxied or not.
/// </summary>
public sealed class CsrfMiddleware(RequestDelegate next, OriginPolicy origins, SessionCookiePolicy cookies)
{
    public Task InvokeAsync(HttpContext context)
    {
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method)
            || !cookies.HasCookie(context.Request))
        {
            return next(context);
        }
        var origin = context.Request.Headers.Origin.ToString();
        var allowed = origin.Length > 0
            ? origins.IsAllowed(origin)
            : string.Equals(context.Request.Headers["Sec-Fetch-Site"].ToString(), "same-origin", StringComparison.OrdinalIgnoreCase);
        return allowed
            ? next(context)
            : GatewayErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "csrf_origin_mismatch",
                "Cross-origin request refused: state-changing requests with the session cookie must come from the app's own origin.");
    }
}
