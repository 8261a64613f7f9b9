using Gateway.Contracts;
using StackExchange.Redis;

namespace SessionApi.Api;

/// <summary>Fixed-window counters in Redis, shared by every Proxy instance (INCR + PEXPIRE on first hit).</summary>
public sealed class RateLimiter(IConnectionMultiplexer redis, TimeProvider time)
{
    public async Task<RateLimitResponse> HitAsync(RateLimitRequest request, CancellationToken ct)
    {
        if (request.Limit <= 0 || request.WindowSeconds <= 0 || string.IsNullOrEmpty(request.Key) || request.Key.Length > 200)
        {
            throw new Sessions.InvalidSessionRequestException("key (≤ 200 chars), limit and windowSeconds must be set.");
        }
        var window = time.GetUtcNow().ToUnixTimeSeconds() / request.WindowSeconds;
        var key = $"gw:rl:{request.Key}:{window}";
        ct.ThrowIfCancellationRequested();
        var db = redis.GetDatabase();
        var count = await db.StringIncrementAsync(key);
        if (count == 1)
        {
            await db.KeyExpireAsync(key, TimeSpan.FromSeconds(request.WindowSeconds));
        }
        var retryAfter = (int)((window + 1) * request.WindowSeconds - time.GetUtcNow().ToUnixTimeSeconds());
        return new RateLimitResponse(count <= request.Limit, (int)Math.Max(0, request.Limit - count), Math.Max(1, retryAfter));
    }
}
