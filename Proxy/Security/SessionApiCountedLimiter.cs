using System.Diagnostics;
using System.Threading.RateLimiting;
using Gateway.Contracts;
using Proxy.Options;
using Proxy.Sessions;

namespace Proxy.Security;

/// <summary>
/// A rate limiter whose counters live in the SessionApi (Redis, fixed windows), so all Proxy instances share one exact
/// budget. Nothing is counted in this process: every acquisition is one call per counter (IP, session), made in
/// parallel. It cannot answer synchronously, so <see cref="AttemptAcquireCore"/> declines and ASP.NET Core's
/// middleware asks <see cref="AcquireAsyncCore"/>. A counter that cannot be read yields a refused lease marked
/// <see cref="Unavailable"/> (503, fail closed).
/// </summary>
public sealed class SessionApiCountedLimiter(RateLimitPartitionKey key, RateLimitPolicy policy, SessionApiClient sessionApi) : RateLimiter
{
    /// <summary>Lease metadata: the counter could not be read.</summary>
    public static readonly MetadataName<bool> Unavailable = new("gateway.counter_unavailable");

    private long _lastUsed = Stopwatch.GetTimestamp();
    private int _active;

    // Partitions idle for a while are dropped by ASP.NET Core's partitioned limiter; the counters stay in Redis.
    public override TimeSpan? IdleDuration => Volatile.Read(ref _active) > 0 ? null : Stopwatch.GetElapsedTime(Volatile.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Lease.NotDecided;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _active);
        try
        {
            var prefix = key.Kind.ToString().ToLowerInvariant();
            var checks = new List<Task<RateLimitResponse?>>(2);
            if (key.Ip is { } ip)
            {
                checks.Add(sessionApi.HitRateLimitAsync(new RateLimitRequest($"{prefix}:ip:{ip}", policy.PerIp, policy.WindowSeconds), cancellationToken));
            }
            if (key.Session is { } session)
            {
                checks.Add(sessionApi.HitRateLimitAsync(new RateLimitRequest($"{prefix}:s:{session}", policy.PerSession, policy.WindowSeconds), cancellationToken));
            }
            int? retryAfter = null;
            foreach (var answer in await Task.WhenAll(checks))
            {
                // A refused question is treated like an unreadable counter (fail closed).
                if (answer is null)
                {
                    return Lease.CounterUnavailable;
                }
                if (!answer.Allowed)
                {
                    retryAfter = Math.Max(retryAfter ?? 1, answer.RetryAfterSeconds);
                }
            }
            return retryAfter is { } seconds ? Lease.Refused(TimeSpan.FromSeconds(seconds)) : Lease.Granted;
        }
        catch (SessionApiUnavailableException)
        {
            return Lease.CounterUnavailable;
        }
        finally
        {
            Volatile.Write(ref _lastUsed, Stopwatch.GetTimestamp());
            Interlocked.Decrement(ref _active);
        }
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter, bool unavailable) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null, false);
        public static readonly Lease NotDecided = new(false, null, false);
        public static readonly Lease CounterUnavailable = new(false, null, true);

        public static Lease Refused(TimeSpan retryAfter) => new(false, retryAfter, false);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames =>
            unavailable ? [Unavailable.Name] : retryAfter is not null ? [MetadataName.RetryAfter.Name] : [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            if (unavailable && metadataName == Unavailable.Name)
            {
                metadata = true;
                return true;
            }
            if (retryAfter is { } delay && metadataName == MetadataName.RetryAfter.Name)
            {
                metadata = delay;
                return true;
            }
            metadata = null;
            return false;
        }
    }
}
