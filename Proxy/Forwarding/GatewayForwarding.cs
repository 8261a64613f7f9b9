using System.Net;
using Microsoft.Extensions.Options;
using Proxy.Cookies;
using Proxy.Errors;
using Proxy.Options;
using Proxy.Sessions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Proxy.Forwarding;

/// <summary>
/// YARP routes: /supabase/{**} to the Supabase API (prefix stripped, credentials replaced) and everything else to
/// SampleWeb (with a verifiable identity). Session lookup runs in the proxy pipeline so it can fail closed.
/// </summary>
public static class GatewayForwarding
{
    public const string SupabaseRoute = "supabase";
    public const string SampleWebRoute = "sampleweb";
    private const string LookupItem = "gateway.session";

    public static IServiceCollection AddGatewayForwarding(this IServiceCollection services, IConfiguration configuration)
    {
        // Logical names such as http://sampleweb are resolved by service discovery (Aspire's services:* settings);
        // plain URLs pass through. Invalid URLs are reported by options validation at startup (naming the setting).
        var sampleWeb = Address(configuration["Gateway:SampleWebUrl"] ?? "http://sampleweb");
        var supabase = Address(configuration["Supabase:Url"] ?? "");
        // An upstream that accepts the connection but never answers gets 504 after this, not a hung browser.
        var forwarding = new ForwarderRequestConfig { ActivityTimeout = UpstreamErrorResponses.Timeout(configuration) };

        services.AddReverseProxy()
            .LoadFromMemory(
                [
                    new RouteConfig { RouteId = SupabaseRoute, ClusterId = SupabaseRoute, Match = new RouteMatch { Path = "/supabase/{**rest}" } },
                    new RouteConfig { RouteId = SampleWebRoute, ClusterId = SampleWebRoute, Order = 1000, Match = new RouteMatch { Path = "/{**rest}" } },
                ],
                [
                    new ClusterConfig { ClusterId = SupabaseRoute, HttpRequest = forwarding, Destinations = new Dictionary<string, DestinationConfig> { ["supabase"] = new() { Address = supabase } } },
                    new ClusterConfig { ClusterId = SampleWebRoute, HttpRequest = forwarding, Destinations = new Dictionary<string, DestinationConfig> { ["sampleweb"] = new() { Address = sampleWeb } } },
                ])
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms(context =>
            {
                if (context.Route.RouteId == SupabaseRoute)
                {
                    context.AddPathRemovePrefix("/supabase");
                    // Supabase learns the client's address and scheme, not which Host the browser used.
                    context.AddXForwardedFor(action: ForwardedTransformActions.Set);
                    context.AddXForwardedProto(action: ForwardedTransformActions.Set);
                    context.AddXForwardedHost(action: ForwardedTransformActions.Remove);
                    context.AddXForwardedPrefix(action: ForwardedTransformActions.Remove);
                    context.AddRequestTransform(ToSupabaseAsync);
                    context.AddResponseTransform(FromSupabaseAsync);
                }
                else
                {
                    context.AddRequestTransform(ToSampleWeb);
                }
            });
        return services;
    }

    private static string Address(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.ToString() : "http://invalid";

    public static IEndpointRouteBuilder MapGatewayForwarding(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapReverseProxy(pipeline =>
        {
            pipeline.Use(UpstreamErrorResponses.RewriteAsync);
            pipeline.Use(LookupSessionAsync);
        });
        return endpoints;
    }

    /// <summary>Resolves the caller's session; a cookie that is not live never falls back to anonymous on API routes.</summary>
    private static async Task LookupSessionAsync(HttpContext context, Func<Task> next)
    {
        var toSupabase = context.GetReverseProxyFeature().Route.Config.RouteId == SupabaseRoute;
        if (toSupabase && !UpstreamPath.IsCanonical(context.Request.Path))
        {
            await GatewayErrors.WriteAsync(context, 400, "validation_failed", "Malformed request path (empty segments or encoded slashes are not accepted).");
            return;
        }
        var sessions = context.RequestServices.GetRequiredService<ISessionCache>();
        var lookup = await sessions.LookupAsync(context, context.RequestAborted);
        if (!toSupabase)
        {
            lookup = await sessions.WithDetailsAsync(lookup, context.RequestAborted); // SampleWeb gets the identity assertion
        }
        context.Items[LookupItem] = lookup;
        if (lookup.State == SessionState.Ended)
        {
            context.RequestServices.GetRequiredService<SessionCookiePolicy>().Clear(context);
            if (toSupabase)
            {
                await GatewayErrors.WriteAsync(context, 401, "session_expired", "Your session has ended or was revoked; sign in again.");
                return;
            }
        }
        if (lookup.State == SessionState.Unavailable && toSupabase)
        {
            await GatewayErrors.WriteAsync(context, 503, "session_store_unavailable", "The session service is unavailable; try again shortly.");
            return;
        }
        await next();
    }

    /// <summary>Client-address headers some upstreams believe: only the gateway says who the client is.</summary>
    private static readonly string[] ClientAddressHeaders = ["X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "X-Client-IP", "Forwarded", "X-Forwarded-Host"];

    private static ValueTask ToSupabaseAsync(RequestTransformContext context)
    {
        var supabase = context.HttpContext.RequestServices.GetRequiredService<IOptions<SupabaseUpstreamOptions>>().Value;
        var lookup = context.HttpContext.Items[LookupItem] as SessionLookup;
        var headers = context.ProxyRequest.Headers;
        headers.Remove("Cookie");
        headers.Remove("apikey");
        headers.Remove("Authorization");
        headers.Remove("Sb-Forwarded-For");
        foreach (var name in ClientAddressHeaders)
        {
            headers.Remove(name);
        }
        headers.TryAddWithoutValidation("apikey", supabase.AnonKey);
        // The browser's Authorization (placeholder, sb_publishable key, or anything forged) never goes upstream.
        headers.TryAddWithoutValidation("Authorization", lookup is { State: SessionState.Live, Live: { } live } ? live.BearerHeader : supabase.AnonBearer);
        if (context.Path.StartsWithSegments("/auth/v1"))
        {
            if (context.HttpContext.Connection.RemoteIpAddress is { } ip)
            {
                headers.TryAddWithoutValidation("Sb-Forwarded-For", ip.ToString());
            }
            // GoTrue falls back to the Referer for a missing redirect_to: the browser's page must not pick the target.
            headers.Referrer = null;
            // The leak guard must read every auth answer as sent: no compressed body it would have to trust blindly.
            headers.AcceptEncoding.Clear();
            headers.TryAddWithoutValidation("Accept-Encoding", "identity");
        }
        return ValueTask.CompletedTask;
    }

    private static async ValueTask FromSupabaseAsync(ResponseTransformContext context)
    {
        var response = context.HttpContext.Response.Headers;
        response.Remove("Set-Cookie");
        List<string>? cors = null; // allocated only when the upstream sent CORS headers
        foreach (var header in response)
        {
            if (header.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase))
            {
                (cors ??= []).Add(header.Key);
            }
        }
        if (cors is not null)
        {
            foreach (var name in cors)
            {
                response.Remove(name);
            }
        }
        Storage.UpstreamUrlRewriter.Apply(context);
        if (context.ProxyResponse is not null && context.HttpContext.Request.Path.StartsWithSegments("/supabase/auth"))
        {
            await SessionLeakGuard.ApplyAsync(context);
        }
        else if (context.ProxyResponse is { StatusCode: >= HttpStatusCode.InternalServerError } failed && !IsJson(failed.Content.Headers.ContentType?.MediaType))
        {
            // An HTML or text error page (a stack trace, a server banner) says nothing a client can use and may say
            // too much about Supabase's internals; Supabase's own JSON errors (PostgREST, Storage) pass as they are.
            context.SuppressResponseBody = true;
            response.Remove("Content-Length");
            response.Remove("Content-Encoding");
            await GatewayErrors.WriteAsync(context.HttpContext, (int)failed.StatusCode, "upstream_error", "Supabase answered with an error.");
        }
    }

    private static bool IsJson(string? mediaType) => mediaType is not null && mediaType.Contains("json", StringComparison.OrdinalIgnoreCase);

    private static ValueTask ToSampleWeb(RequestTransformContext context)
    {
        var cookies = context.HttpContext.RequestServices.GetRequiredService<SessionCookiePolicy>();
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
        switch (context.HttpContext.Items[LookupItem] as SessionLookup)
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
