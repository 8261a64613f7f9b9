using Proxy.Cookies;

namespace Proxy.Security;

/// <summary>
/// An unsafe request that carries our cookie must come from a configured origin (Origin header) or, without
/// Origin, be marked same-origin by the browser (Sec-Fetch-Site). Applies to every route, proxied or not.
/// Sign-in endpoints are checked even without a cookie (login CSRF: a foreign page must not sign the browser
/// into the attacker's account); there a request without any browser marker (a script, curl) may pass.
/// </summary>
public sealed class CsrfMiddleware(RequestDelegate next, OriginPolicy origins, SessionCookiePolicy cookies)
{
    private static readonly string[] SignInPaths =
    [
        "/supabase/auth/v1/token", "/supabase/auth/v1/signup", "/supabase/auth/v1/verify",
        "/edge/v1/forms/sign-in", "/edge/v1/forms/sign-up",
    ];

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var method = request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method))
        {
            return next(context);
        }
        var hasCookie = cookies.HasCookie(request);
        if (!hasCookie && !IsSignIn(request.Path))
        {
            return next(context);
        }
        return IsSameOrigin(request, origins, requireMarker: hasCookie)
            ? next(context)
            : CsrfRejection.WriteAsync(context, carriedCookie: hasCookie);
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

    private static bool IsSignIn(PathString path)
    {
        var value = path.Value ?? "";
        var trimmed = value.TrimEnd('/');
        foreach (var candidate in SignInPaths)
        {
            if (string.Equals(trimmed, candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
