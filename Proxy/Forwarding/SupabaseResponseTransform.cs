using System.Net;
using Proxy.Errors;
using Proxy.Routing;
using Yarp.ReverseProxy.Transforms;

namespace Proxy.Forwarding;

/// <summary>
/// From Supabase: no Set-Cookie and no CORS headers reach the browser, upstream URLs are rewritten to the public
/// origin, auth answers go through the leak guard, and a 5xx that is not JSON becomes upstream_error.
/// </summary>
public sealed class SupabaseResponseTransform : ResponseTransform
{
    public override async ValueTask ApplyAsync(ResponseTransformContext context)
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
        if (context.ProxyResponse is not null && context.HttpContext.HasRoutePolicy<RoutePolicies.AuthApi>())
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
            await GatewayErrors.WriteAsync(context.HttpContext, GatewayErrors.UpstreamError with { Status = (int)failed.StatusCode });
        }
    }

    private static bool IsJson(string? mediaType) => mediaType is not null && mediaType.Contains("json", StringComparison.OrdinalIgnoreCase);
}
