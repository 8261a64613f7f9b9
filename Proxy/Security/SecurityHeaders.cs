namespace Proxy.Security;

/// <summary>
/// Headers an auth gateway's responses should carry, whoever produced them (the Proxy, Supabase or SampleWeb):
/// nosniff and a referrer policy everywhere; no framing (clickjacking of sign-in and account pages) unless the
/// page set its own CSP; HSTS when the browser reached us over HTTPS; and no-store on anything carrying session
/// or auth state, so no shared cache or back button replays it.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    public const string StrictTransportSecurity = "max-age=31536000";

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
            var path = context.Request.Path;
            if (path.StartsWithSegments("/supabase/auth") || path.StartsWithSegments("/edge"))
            {
                headers.CacheControl = "no-store";
                headers.Pragma = "no-cache";
            }
            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}
