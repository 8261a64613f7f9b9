using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Gateway.Contracts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Proxy.Options;
using Proxy.Sessions;

namespace Proxy.Security;

/// <summary>Which counters a request draws on: its budget, its client IP and its session (each null when that dimension is off).</summary>
public readonly record struct RateLimitPartitionKey(RateLimitKind Kind, string? Ip, string? Session)
{
    /// <summary>A digest of the cookie, so neither the cookie nor the SessionApi's own key for it reaches Redis as a counter name.</summary>
    public static string? SessionDigest(string? cookie) =>
        cookie is not null && SessionCookieFormat.IsPlausible(cookie)
            ? Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes("ratelimit:" + cookie)), 0, 18).Replace('+', '-').Replace('/', '_')
            : null;
}

/// <summary>
/// One budget (Gateway:RateLimits:{Kind}) as an ASP.NET Core rate-limiter policy: partitions by client IP and session,
/// each partition a <see cref="SessionApiCountedLimiter"/> that asks the SessionApi's shared counters.
/// </summary>
public abstract class SessionApiRateLimitPolicy(RateLimitKind? kind, SessionApiClient sessionApi, IOptions<GatewayOptions> options)
    : IRateLimiterPolicy<RateLimitPartitionKey>
{
    public sealed class SignIn(SessionApiClient sessionApi, IOptions<GatewayOptions> options) : SessionApiRateLimitPolicy(RateLimitKind.SignIn, sessionApi, options);

    /// <summary>The /token endpoint: the budget follows the grant type.</summary>
    public sealed class Token(SessionApiClient sessionApi, IOptions<GatewayOptions> options) : SessionApiRateLimitPolicy(null, sessionApi, options);

    public sealed class Otp(SessionApiClient sessionApi, IOptions<GatewayOptions> options) : SessionApiRateLimitPolicy(RateLimitKind.Otp, sessionApi, options);

    public sealed class Session(SessionApiClient sessionApi, IOptions<GatewayOptions> options) : SessionApiRateLimitPolicy(RateLimitKind.Session, sessionApi, options);

    /// <summary>Rejections are written by the limiter options' OnRejected (<see cref="RateLimitPolicies"/>).</summary>
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => null;

    public RateLimitPartition<RateLimitPartitionKey> GetPartition(HttpContext httpContext)
    {
        var limits = options.Value.RateLimits;
        var budget = kind ?? KindOfGrant(httpContext.Request);
        var policy = limits.For(budget);
        if (!limits.Enabled || (policy.PerIp == 0 && policy.PerSession == 0))
        {
            return RateLimitPartition.GetNoLimiter(new RateLimitPartitionKey(budget, null, null));
        }
        var ip = policy.PerIp > 0 ? (httpContext.Connection.RemoteIpAddress ?? IPAddress.None).ToString() : null;
        var session = policy.PerSession > 0 ? RateLimitPartitionKey.SessionDigest(SessionFeature.Of(httpContext).Cookie) : null;
        return RateLimitPartition.Get(new RateLimitPartitionKey(budget, ip, session), key => new SessionApiCountedLimiter(key, policy, sessionApi));
    }

    private static RateLimitKind KindOfGrant(HttpRequest request) =>
        string.Equals(request.Query["grant_type"].ToString(), "refresh_token", StringComparison.Ordinal) ? RateLimitKind.Refresh : RateLimitKind.SignIn;
}
