using Proxy.Routing;
using Proxy.Sessions;

namespace Proxy.Security;

/// <summary>
/// Headers an auth gateway's responses should carry, whoever produced them (the Proxy, Supabase or SampleWeb):
/// nosniff and a referrer policy everywhere; no framing (clickjacking of sign-in and account pages) unless the
/// page set its own CSP; HSTS when the browser reached us over HTTPS; and no-store on routes with the
/// <see cref="RoutePolicies.NoStore"/> policy (session or auth state), so no shared cache or back button replays it.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    public const string StrictTransportSecurity = "max-age=31536000";

    private static void KeepPrivate(IHeaderDictionary headers)
    {
        var directives = headers.CacheControl.ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(d => !d.Equals("public", StringComparison.OrdinalIgnoreCase) && !d.StartsWith("s-maxage", StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (!directives.Any(d => d.Equals("private", StringComparison.OrdinalIgnoreCase) || d.Equals("no-store", StringComparison.OrdinalIgnoreCase)))
        {
            directives.Insert(0, "private");
        }
        headers.CacheControl = string.Join(", ", directives);
        if (!headers.Vary.ToString().Contains("Cookie", StringComparison.OrdinalIgnoreCase))
        {
            headers.Append("Vary", "Cookie");
        }
    }

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            // What the upstreams run is nobody's business (Kestrel's own Server header is off, see KestrelLimits).
            headers.Remove("Server");
            headers.Remove("X-Powered-By");
            if (!headers.ContainsKey("Referrer-Policy"))
            {
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            }
            if (!headers.ContainsKey("Content-Security-Policy"))
            {
                headers.ContentSecurityPolicy = "frame-ancestors 'none'";
            }
            if (!headers.ContainsKey("X-Frame-Options"))
            {
                headers.XFrameOptions = "DENY";
            }
            if (context.Request.IsHttps)
            {
                headers.StrictTransportSecurity = StrictTransportSecurity;
            }
            if (context.HasRoutePolicy<RoutePolicies.NoStore>())
            {
                headers.CacheControl = "no-store";
                headers.Pragma = "no-cache";
            }
            else if (context.Features.Get<SessionFeature>() is { CarriesCookie: true })
            {
                // Rendered for the session behind the cookie: no shared cache may keep it or hand it to someone else.
                KeepPrivate(headers);
            }
            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}
