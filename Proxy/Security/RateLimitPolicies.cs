using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Proxy.Errors;
using Proxy.Options;
using Proxy.Routing;

namespace Proxy.Security;

/// <summary>
/// ASP.NET Core's rate limiter with one policy per budget (Gateway:RateLimits), named on the routes by the route table.
/// Every policy counts through the SessionApi in Redis (<see cref="SessionApiCountedLimiter"/>), so the budget is
/// exact across Proxy instances; an unreadable counter refuses the request (503, fail closed).
/// </summary>
public static class RateLimitPolicies
{
    /// <summary>Sign-ins: password/PKCE/id_token grants, signup, verify, the no-JS sign-in and sign-up forms.</summary>
    public const string SignIn = "sign-in";

    /// <summary>POST /token: the refresh_token grant draws on the Refresh budget, every other grant on SignIn.</summary>
    public const string Token = "token";

    /// <summary>OTP, magic link, recovery and resend (each sends an email or SMS).</summary>
    public const string Otp = "otp";

    /// <summary>/edge/v1/session and /edge/v1/sessions*.</summary>
    public const string Session = "session";

    public static IServiceCollection AddGatewayRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy<RateLimitPartitionKey, SessionApiRateLimitPolicy.SignIn>(SignIn);
            limiter.AddPolicy<RateLimitPartitionKey, SessionApiRateLimitPolicy.Token>(Token);
            limiter.AddPolicy<RateLimitPartitionKey, SessionApiRateLimitPolicy.Otp>(Otp);
            limiter.AddPolicy<RateLimitPartitionKey, SessionApiRateLimitPolicy.Session>(Session);
            limiter.OnRejected = (rejected, _) => WriteRejectionAsync(rejected.HttpContext, rejected.Lease);
        });
        return services;
    }

    /// <summary>
    /// 429 over_request_rate_limit with Retry-After, or 503 session_store_unavailable when the counter could not be
    /// read; in GoTrue's shape, or for a no-JS form a redirect back to its page with the error code.
    /// </summary>
    private static async ValueTask WriteRejectionAsync(HttpContext context, RateLimitLease lease)
    {
        var error = lease.TryGetMetadata(SessionApiCountedLimiter.Unavailable, out _)
            ? GatewayErrors.SessionStoreUnavailable
            : GatewayErrors.OverRequestRateLimit;
        if (context.HasRoutePolicy<RoutePolicies.HtmlForm>())
        {
            await Edge.FormEndpoints.BackWithErrorAsync(context, error.Code);
            return;
        }
        if (lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        await GatewayErrors.WriteAsGoTrueAsync(context, error);
    }
}
