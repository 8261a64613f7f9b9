using Gateway.Contracts;
using Microsoft.Extensions.Options;
using Proxy.Options;
using Proxy.Sessions;

namespace Proxy.Security;

/// <summary>
/// Sign-in attempts per client IP, a fixed window counted by the SessionApi in Redis so every Proxy instance shares
/// it (GoTrue's own per-IP limits only see the client when Sb-Forwarded-For is enabled for the project).
/// </summary>
public sealed class SignInRateLimiter(SessionApiClient sessionApi, IOptions<GatewayOptions> options)
{
    /// <summary>Null when the attempt may go ahead, else the seconds until the window resets.</summary>
    /// <exception cref="SessionApiUnavailableException">The counter cannot be read (callers fail closed).</exception>
    public async Task<int?> RetryAfterAsync(HttpContext context, CancellationToken ct)
    {
        var limits = options.Value.RateLimits;
        if (!limits.Enabled)
        {
            return null;
        }
        var ip = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var answer = await sessionApi.HitRateLimitAsync(new RateLimitRequest("signin:" + ip, limits.SignInsPerWindow, limits.WindowSeconds), ct);
        return answer is { Allowed: false } ? answer.RetryAfterSeconds : null;
    }
}
