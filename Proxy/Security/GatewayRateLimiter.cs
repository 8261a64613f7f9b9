using System.Security.Cryptography;
using System.Text;
using Gateway.Contracts;
using Microsoft.Extensions.Options;
using Proxy.Cookies;
using Proxy.Options;
using Proxy.Sessions;

namespace Proxy.Security;

/// <summary>
/// Fixed-window budgets per client IP and per session, counted by the SessionApi in Redis so every Proxy instance
/// shares them (GoTrue's own per-IP limits only see the client when Sb-Forwarded-For is enabled for the project).
/// </summary>
public sealed class GatewayRateLimiter(SessionApiClient sessionApi, SessionCookiePolicy cookies, IOptions<GatewayOptions> options)
{
    /// <summary>Null when the request may go ahead, else the seconds until the exhausted window resets.</summary>
    /// <exception cref="SessionApiUnavailableException">A counter cannot be read (callers fail closed).</exception>
    public async Task<int?> RetryAfterAsync(HttpContext context, RateLimitKind kind, CancellationToken ct)
    {
        var limits = options.Value.RateLimits;
        if (!limits.Enabled)
        {
            return null;
        }
        var policy = limits.For(kind);
        var prefix = kind.ToString().ToLowerInvariant();
        var checks = new List<Task<RateLimitResponse?>>(2);
        if (policy.PerIp > 0)
        {
            var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            checks.Add(sessionApi.HitRateLimitAsync(new RateLimitRequest($"{prefix}:ip:{ip}", policy.PerIp, policy.WindowSeconds), ct));
        }
        if (policy.PerSession > 0 && SessionKey(cookies.Read(context.Request)) is { } session)
        {
            checks.Add(sessionApi.HitRateLimitAsync(new RateLimitRequest($"{prefix}:s:{session}", policy.PerSession, policy.WindowSeconds), ct));
        }
        int? retryAfter = null;
        foreach (var answer in await Task.WhenAll(checks))
        {
            if (answer is null)
            {
                // The SessionApi refused the question itself: treat like an unreadable counter (fail closed).
                throw new SessionApiUnavailableException("The session service refused a rate-limit request.");
            }
            if (!answer.Allowed)
            {
                retryAfter = Math.Max(retryAfter ?? 1, answer.RetryAfterSeconds);
            }
        }
        return retryAfter;
    }

    /// <summary>A digest of the cookie, so neither the cookie nor the SessionApi's own key for it reaches Redis as a counter name.</summary>
    internal static string? SessionKey(string? cookie) =>
        cookie is not null && SessionCookiePolicy.LooksValid(cookie)
            ? Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes("ratelimit:" + cookie)), 0, 18).Replace('+', '-').Replace('/', '_')
            : null;
}
