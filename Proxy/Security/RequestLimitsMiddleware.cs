using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Proxy.Auth;
using Proxy.Cookies;
using Proxy.Options;

namespace Proxy.Security;

/// <summary>
/// Gateway:Limits checked before any lookup or forwarding: oversized headers or cookies (431), oversized auth bodies
/// (413), and more than one session cookie of the same name (400; which one the browser meant is unknowable, and
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
            return AuthErrors.WriteAsync(context, 431, "request_header_fields_too_large", $"The Cookie header is larger than {limits.MaxCookieHeaderBytes} bytes.");
        }
        if (HeaderBytes(request.Headers) > limits.MaxHeaderBytes)
        {
            return AuthErrors.WriteAsync(context, 431, "request_header_fields_too_large", $"The request headers are larger than {limits.MaxHeaderBytes} bytes.");
        }
        if (cookieBytes > 0 && cookies.CountFor(request) > 1)
        {
            cookies.Clear(context);
            return AuthErrors.WriteAsync(context, 400, "duplicate_session_cookie", "The request carries more than one session cookie; sign in again.");
        }
        if (request.Path.StartsWithSegments("/supabase/auth"))
        {
            if (request.ContentLength > limits.MaxAuthBodyBytes)
            {
                return AuthErrors.WriteAsync(context, 413, "request_entity_too_large", $"Request body is larger than {limits.MaxAuthBodyBytes} bytes.");
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
