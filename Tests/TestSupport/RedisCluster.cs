using System.Diagnostics;
using System.Globalization;

namespace TestSupport;

/// <summary>
/// A real Redis Cluster on loopback, shaped like Azure Managed Redis with the OSS clustering policy: three masters
/// sharing the 16,384 hash slots, one replica each, every node a <see cref="RedisServer"/> (free ports, own data
/// directory, append-only file with fsync on every write). A small <c>cluster-node-timeout</c> makes a failover take
/// about two seconds, so the fault tests stay short. Disposing kills every node and deletes their directories.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    public const int Masters = 3;
    private const int NodeTimeoutMs = 1_000;
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(30);
    private readonly List<RedisServer> _nodes = [];

    private RedisCluster()
    {
    }

    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary>StackExchange.Redis-format connection string naming every node (the client discovers the topology).</summary>
    public string ConnectionString => string.Join(',', _nodes.Select(n => $"127.0.0.1:{n.Port}"));

    public static async Task<RedisCluster> StartAsync()
    {
        var cluster = new RedisCluster();
        try
        {
            var starting = Enumerable.Range(0, Masters * 2).Select(_ => RedisServer.StartAsync(new RedisServerOptions
            {
                ExtraArguments =
                [
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                    "--cluster-node-timeout", NodeTimeoutMs.ToString(CultureInfo.InvariantCulture),
                    // The bus port is normally port + 10000, which nobody reserved for us: take a free one.
                    "--cluster-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
                    // A replica may always take over, however long the test kept its master busy.
                    "--cluster-replica-validity-factor", "0",
                ],
            })).ToList();
            foreach (var node in starting)
            {
                cluster._nodes.Add(await node);
            }
            var create = new List<string> { "--cluster", "create" };
            create.AddRange(cluster._nodes.Select(n => $"127.0.0.1:{n.Port}"));
            create.AddRange(["--cluster-replicas", "1", "--cluster-yes"]);
            var (exit, output) = await RedisCli.RunAsync(create, TimeSpan.FromSeconds(60));
            if (exit != 0)
            {
                throw new InvalidOperationException($"redis-cli --cluster create failed ({exit}): {output}");
            }
            await cluster.WaitUntilSettledAsync(expectedReplicas: Masters);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>The running node that is master of the slot of <paramref name="key"/> (hash tags honoured).</summary>
    public async Task<RedisServer> MasterOfAsync(string key)
    {
        var slot = int.Parse((await RunOnAnyAsync("CLUSTER", "KEYSLOT", key)).Trim(), CultureInfo.InvariantCulture);
        foreach (var line in (await RunOnAnyAsync("CLUSTER", "NODES")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges...>"
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var flags = fields[2].Split(',');
            if (flags.Contains("master") && !flags.Contains("fail") && OwnsSlot(line, slot)
                && _nodes.FirstOrDefault(n => n.IsRunning && fields[1].StartsWith($"127.0.0.1:{n.Port}@", StringComparison.Ordinal)) is { } node)
            {
                return node;
            }
        }
        throw new InvalidOperationException($"no running master owns slot {slot} of '{key}'");
    }

    /// <summary>The running masters.</summary>
    public async Task<IReadOnlyList<RedisServer>> MastersAsync()
    {
        var masters = new List<RedisServer>();
        foreach (var node in _nodes.Where(n => n.IsRunning))
        {
            if ((await RedisCli.RunOnAsync(node.Port, "ROLE")).StartsWith("master", StringComparison.Ordinal))
            {
                masters.Add(node);
            }
        }
        return masters;
    }

    /// <summary>
    /// Waits until every running node reports <c>cluster_state:ok</c>, there are <see cref="Masters"/> masters and at
    /// least <paramref name="expectedReplicas"/> replicas have finished their initial sync.
    /// </summary>
    public async Task WaitUntilSettledAsync(int expectedReplicas)
    {
        var waited = Stopwatch.StartNew();
        var last = "";
        while (waited.Elapsed < SettleLimit)
        {
            var ok = true;
            var masters = 0;
            var syncedReplicas = 0;
            foreach (var node in _nodes.Where(n => n.IsRunning))
            {
                var info = await RedisCli.RunOnAsync(node.Port, "CLUSTER", "INFO");
                ok &= info.Contains("cluster_state:ok", StringComparison.Ordinal);
                var replication = await RedisCli.RunOnAsync(node.Port, "INFO", "replication");
                if (replication.Contains("role:master", StringComparison.Ordinal))
                {
                    masters++;
                }
                else if (replication.Contains("master_link_status:up", StringComparison.Ordinal)
                    && replication.Contains("master_sync_in_progress:0", StringComparison.Ordinal))
                {
                    syncedReplicas++;
                }
                last = $"{node.Port}: {info.Split('\n').FirstOrDefault()?.Trim()}";
            }
            if (ok && masters == Masters && syncedReplicas >= expectedReplicas)
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the cluster did not settle within {SettleLimit.TotalSeconds} s (last: {last})");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
        _nodes.Clear();
    }

    private Task<string> RunOnAnyAsync(params string[] command) =>
        RedisCli.RunOnAsync(_nodes.First(n => n.IsRunning).Port, command);

    /// <summary>A CLUSTER NODES line lists its slots from the 9th field on: "5461-10922" or "42" (migrations in brackets are skipped).</summary>
    private static bool OwnsSlot(string nodesLine, int slot) =>
        nodesLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(8).Where(range => !range.StartsWith('[')).Any(range =>
        {
            var bounds = range.Split('-');
            var from = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            var to = bounds.Length > 1 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : from;
            return slot >= from && slot <= to;
        });
}

/// <summary>redis-cli, for the few administrative steps a Redis client library has no API for (cluster create).</summary>
internal static class RedisCli
{
    public static async Task<string> RunOnAsync(int port, params string[] command)
    {
        var (exit, output) = await RunAsync(["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. command], TimeSpan.FromSeconds(10));
        return exit == 0 ? output : throw new InvalidOperationException($"redis-cli -p {port} {string.Join(' ', command)} failed ({exit}): {output}");
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> arguments, TimeSpan limit)
    {
        var info = new ProcessStartInfo("redis-cli")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start (is it installed?)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"redis-cli {string.Join(' ', info.ArgumentList)} did not finish within {limit.TotalSeconds} s");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
