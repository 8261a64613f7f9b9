using Proxy.Auth;
using Proxy.Hosting;
using Proxy.Security;
using Proxy.Sessions;
using Proxy.Storage;

namespace Proxy.Routing;

/// <summary>
/// The request pipeline, built in one place and in this order (each step relies on the ones before it):
/// errors outermost (any exception becomes a JSON 500); the client address (rate limits, Sb-Forwarded-For); the
/// security headers (on every answer, refusals included); the session cookie read once; routing (so every later step
/// reads its route's policy); input limits; the public health probe; storage upload size; redirect targets; CSRF;
/// rate limits; gateway-owned PKCE (after the targets were accepted); websocket upgrades; then the endpoint.
/// </summary>
public static class GatewayPipeline
{
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        app.UseUnhandledErrors();
        app.UseIngressForwarding();
        app.UseMiddleware<SecurityHeaders>();
        app.UseMiddleware<SessionCookieStep>();
        app.UseRouting();
        app.UseMiddleware<RequestLimitsMiddleware>();
        app.UseMiddleware<PublicHealth>();
        app.UseMiddleware<StorageUploadLimit>();
        app.UseMiddleware<RedirectAllowListMiddleware>();
        app.UseMiddleware<CsrfMiddleware>();
        app.UseRateLimiter();
        app.UseMiddleware<ServerPkceMiddleware>();
        app.UseWebSockets();
        return app;
    }
}
