using SampleWeb.Identity;

namespace SampleWeb.Hosting;

/// <summary>
/// Headers every page response gets. One URL serves both variants and signed-in pages hold private data, so pages
/// are never stored by caches (and vary on the cookie); plus a strict content policy: no script, no frames, forms
/// only to this origin.
/// </summary>
public static class PageResponseHeaders
{
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    public static IApplicationBuilder UsePageResponseHeaders(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.CacheControl = context.GatewayUser() is not null ? "no-store" : "no-cache";
            headers.Vary = "Cookie";
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            return Task.CompletedTask;
        });
        await next(context);
    });
}
