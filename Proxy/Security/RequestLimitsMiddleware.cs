using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Proxy.Cookies;
using Proxy.Errors;
using Proxy.Options;
using Proxy.Routing;
using Proxy.Sessions;

namespace Proxy.Security;

/// <summary>
/// Gateway:Limits checked before any lookup or forwarding: oversized headers or cookies (431), oversized bodies on
/// routes with the <see cref="RoutePolicies.AuthApi"/> policy (413), and more than one session cookie of the same name (400; which one the browser meant is unknowable, and
/// a planted duplicate is a session-fixation trick). Kestrel's own, slightly larger limits stay as a hard backstop.
/// </summary>
public sealed class RequestLimitsMiddleware(RequestDelegate next, IOptions<GatewayOptions> options, SessionCookiePolicy cookies)
{
    public Task InvokeAsync(HttpContext context)
    {
        var limits = options.Value.Limits;
        var request = context.Request;
        long cookieBytes = 0;
        foreach (var value in request.Headers.Cookie)
        {
            cookieBytes += value?.Length ?? 0;
        }
        if (cookieBytes > limits.MaxCookieHeaderBytes)
        {
            return GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.HeadersTooLarge.Saying($"The Cookie header is larger than {limits.MaxCookieHeaderBytes} bytes."));
        }
        if (HeaderBytes(request.Headers) > limits.MaxHeaderBytes)
        {
            return GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.HeadersTooLarge.Saying($"The request headers are larger than {limits.MaxHeaderBytes} bytes."));
        }
        if (SessionFeature.Of(context).CookieCount > 1)
        {
            cookies.Clear(context);
            return GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.DuplicateSessionCookie);
        }
        if (context.HasRoutePolicy<RoutePolicies.AuthApi>())
        {
            if (request.ContentLength > limits.MaxAuthBodyBytes)
            {
                return GatewayErrors.WriteAsGoTrueAsync(context, GatewayErrors.BodyLargerThan(limits.MaxAuthBodyBytes));
            }
            // Chunked bodies are cut off by Kestrel while being read (forwarded or parsed).
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } body)
            {
                body.MaxRequestBodySize = limits.MaxAuthBodyBytes;
            }
        }
        return next(context);
    }

    private static long HeaderBytes(IHeaderDictionary headers)
    {
        long total = 0;
        foreach (var (name, values) in headers)
        {
            total += name.Length + 4;
            foreach (var value in values)
            {
                total += value?.Length ?? 0;
            }
        }
        return total;
    }
}
