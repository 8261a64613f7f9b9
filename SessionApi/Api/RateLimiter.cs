using Gateway.Contracts;
using StackExchange.Redis;

namespace SessionApi.Api;

/// <summary>
/// Sliding-window budgets in Redis, shared by every Proxy instance: each allowed hit is logged in a sorted set scored by
/// its time, so "at most Limit hits in any WindowSeconds" holds exactly (a clock-aligned window would let twice the
/// budget through around its boundary). Refused hits are not logged: the budget comes back as the oldest hits age out.
/// </summary>
public sealed class RateLimiter(IConnectionMultiplexer redis, TimeProvider time)
{
    // One script, so the prune, the count and the append are atomic across instances. Returns {allowed, remaining, retry-after ms}.
    private static readonly LuaScript HitScript = LuaScript.Prepare("""
        redis.call('ZREMRANGEBYSCORE', @log, '-inf', @now - @window)
        local count = redis.call('ZCARD', @log)
        if count < tonumber(@limit) then
          redis.call('ZADD', @log, @now, @hit)
          redis.call('PEXPIRE', @log, @window)
          return {1, tonumber(@limit) - count - 1, 0}
        end
        local oldest = redis.call('ZRANGE', @log, 0, 0, 'WITHSCORES')
        return {0, 0, tonumber(oldest[2]) + @window - @now}
        """);

    public async Task<RateLimitResponse> HitAsync(RateLimitRequest request, CancellationToken ct)
    {
        if (request.Limit <= 0 || request.WindowSeconds <= 0 || string.IsNullOrEmpty(request.Key) || request.Key.Length > 200)
        {
            throw new Sessions.InvalidSessionRequestException("key (≤ 200 chars), limit and windowSeconds must be set.");
        }
        ct.ThrowIfCancellationRequested();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(HitScript,
            new HitArgs($"gw:rl:{request.Key}", now, request.WindowSeconds * 1000L, request.Limit, $"{now}:{Guid.NewGuid():N}")))!;
        var retryAfterMs = (long)result[2];
        return new RateLimitResponse((long)result[0] == 1, (int)(long)result[1], (int)Math.Max(1, (retryAfterMs + 999) / 1000));
    }

    // Script parameters: the RedisKey travels as KEYS, the rest as ARGV.
    internal sealed record HitArgs(RedisKey log, long now, long window, int limit, string hit);
}
