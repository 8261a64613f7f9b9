using System.Globalization;
using Proxy.Auth;
using Proxy.Options;
using Proxy.Sessions;

namespace Proxy.Security;

/// <summary>
/// Applies <see cref="GatewayRateLimiter"/> to the auth and session endpoints, whether the Proxy answers them
/// (sign-in interception, /edge/v1) or YARP forwards them (OTP, magic link, recover). The no-JS forms check
/// the limiter themselves so they can redirect back with an error instead of answering JSON.
/// </summary>
public sealed class RateLimitMiddleware(RequestDelegate next, GatewayRateLimiter limiter)
{
    private const string AuthPrefix = "/supabase/auth/v1/";

    public async Task InvokeAsync(HttpContext context)
    {
        if (Classify(context.Request) is not { } kind)
        {
            await next(context);
            return;
        }
        int? retryAfter;
        try
        {
            retryAfter = await limiter.RetryAfterAsync(context, kind, context.RequestAborted);
        }
        catch (SessionApiUnavailableException)
        {
            await AuthErrors.WriteAsync(context, 503, "session_store_unavailable", "The session service is unavailable; try again shortly.");
            return;
        }
        if (retryAfter is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await AuthErrors.WriteAsync(context, 429, "over_request_rate_limit", "Request rate limit reached");
            return;
        }
        await next(context);
    }

    /// <summary>Which budget a request draws on, or null when it is not rate limited. Case-insensitive: a superset of what upstream routes.</summary>
    public static RateLimitKind? Classify(HttpRequest request)
    {
        var path = (request.Path.Value ?? "").TrimEnd('/');
        if (path.StartsWith(AuthPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var endpoint = path[AuthPrefix.Length..].ToLowerInvariant();
            return endpoint switch
            {
                "token" when HttpMethods.IsPost(request.Method) => string.Equals(request.Query["grant_type"].ToString(), "refresh_token", StringComparison.Ordinal)
                    ? RateLimitKind.Refresh : RateLimitKind.SignIn,
                "signup" or "verify" => RateLimitKind.SignIn,
                "otp" or "magiclink" or "recover" or "resend" => RateLimitKind.Otp,
                _ => null,
            };
        }
        if (path.Equals("/edge/v1/session", StringComparison.OrdinalIgnoreCase)
            || path.Equals("/edge/v1/sessions", StringComparison.OrdinalIgnoreCase)
            || path.StartsWith("/edge/v1/sessions/", StringComparison.OrdinalIgnoreCase))
        {
            return RateLimitKind.Session;
        }
        return null;
    }
}
