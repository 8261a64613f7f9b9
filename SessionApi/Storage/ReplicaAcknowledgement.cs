using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace SessionApi.Storage;

/// <summary>Redis:ReplicaAcks / Redis:ReplicaAckTimeout — when a write counts as confirmed.</summary>
public sealed class ReplicaAckOptions
{
    public const string Section = RedisRegistration.SettingsSection;

    /// <summary>
    /// "auto" (default): wait for one replica when the master holding the key has a replica connected, else confirm on
    /// the master alone. A number (0-5): always wait for that many replicas; with no replica the write is refused (503).
    /// </summary>
    public string ReplicaAcks { get; set; } = "auto";

    /// <summary>How long a confirmed write waits for its replicas before it is refused with 503.</summary>
    public TimeSpan ReplicaAckTimeout { get; set; } = TimeSpan.FromSeconds(1);

    internal int? FixedAcks => int.TryParse(ReplicaAcks, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    internal bool IsValid => (string.Equals(ReplicaAcks, "auto", StringComparison.OrdinalIgnoreCase) || FixedAcks is >= 0 and <= 5)
        && ReplicaAckTimeout > TimeSpan.Zero && ReplicaAckTimeout <= TimeSpan.FromSeconds(10);
}

/// <summary>A write reached its master but not the replicas it needed within the bound: not confirmed, 503.</summary>
public sealed class ReplicaAcknowledgementException(string message) : RedisException(message);

/// <summary>
/// Confirms writes on replicas with <c>WAIT</c>: a sign-in, a revocation or a rotated GoTrue refresh token is reported
/// done only once a replica holds it, so a failover that promotes that replica keeps it. WAIT counts what this client's
/// connection wrote to that master, so it is sent to the master that owns each written key, on the multiplexer's
/// own connection (StackExchange.Redis keeps one interactive connection per server). On one node (no replica) a
/// confirmed write is on the master only: in memory, and on disk as the server's appendfsync policy says.
/// WAIT holds that connection while it waits: a slow replica delays other commands to that master by up to the timeout.
/// </summary>
public sealed class ReplicaAcknowledgement(IConnectionMultiplexer redis, IOptions<ReplicaAckOptions> options, ILogger<ReplicaAcknowledgement> logger)
{
    private static readonly Meter Meter = new("SessionApi.Sessions");
    private static readonly Counter<long> Refused = Meter.CreateCounter<long>("redis.replica_ack.refused", description: "Writes not confirmed because replicas did not acknowledge them in time");
    // How long a master's replica count is trusted before asking again (ROLE is cheap, but not free on every sign-in).
    private static readonly TimeSpan ReplicaCountLifetime = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (int Replicas, long At)> _replicaCounts = new();

    /// <summary>Waits until the writes this client made to the masters of <paramref name="keys"/> are on their replicas.</summary>
    public async Task ConfirmAsync(IEnumerable<RedisKey> keys, CancellationToken ct)
    {
        var settings = options.Value;
        if (settings.FixedAcks == 0)
        {
            return;
        }
        List<IServer> masters;
        try
        {
            masters = keys.Select(key => redis.GetServer(key)).DistinctBy(server => server.EndPoint.ToString()).ToList();
        }
        catch (InvalidOperationException e)
        {
            // No master known for a slot (mid-failover): the write cannot be confirmed.
            throw new ReplicaAcknowledgementException($"The write could not be confirmed on a replica: {e.Message}");
        }
        await Task.WhenAll(masters.Select(master => ConfirmOnAsync(master, settings, ct)));
    }

    private async Task ConfirmOnAsync(IServer master, ReplicaAckOptions settings, CancellationToken ct)
    {
        var needed = settings.FixedAcks ?? Math.Min(1, await ConnectedReplicasAsync(master));
        if (needed == 0)
        {
            return;
        }
        ct.ThrowIfCancellationRequested();
        var timeout = (long)settings.ReplicaAckTimeout.TotalMilliseconds;
        var acknowledged = (long)await master.ExecuteAsync("WAIT", needed, timeout);
        if (acknowledged < needed)
        {
            Refused.Add(1);
            _replicaCounts.TryRemove(master.EndPoint.ToString()!, out _);
            logger.LogWarning("{Acknowledged} of {Needed} replica(s) of {Master} acknowledged a write within {Timeout} ms; refusing to confirm it",
                acknowledged, needed, master.EndPoint, timeout);
            throw new ReplicaAcknowledgementException(
                $"The write was not acknowledged by {needed} replica(s) within {timeout} ms, so it could be lost in a failover.");
        }
    }

    /// <summary>Replicas connected to <paramref name="master"/> right now (ROLE lists only connected ones), cached briefly.</summary>
    private async Task<int> ConnectedReplicasAsync(IServer master)
    {
        var endpoint = master.EndPoint.ToString()!;
        if (_replicaCounts.TryGetValue(endpoint, out var cached) && Stopwatch.GetElapsedTime(cached.At) < ReplicaCountLifetime)
        {
            return cached.Replicas;
        }
        var role = (RedisResult[])(await master.ExecuteAsync("ROLE"))!;
        // Master: ["master", offset, [[ip, port, offset], ...]]; anything else holds no writes of ours.
        var replicas = role.Length >= 3 && (string?)role[0] == "master" ? ((RedisResult[])role[2]!).Length : 0;
        _replicaCounts[endpoint] = (replicas, Stopwatch.GetTimestamp());
        return replicas;
    }
}
