using System.Diagnostics;
using EndToEnd.Tests.Hardening;
using EndToEnd.Tests.Infrastructure;
using TestSupport;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Cluster;

/// <summary>
/// Users signing in and using their sessions through the Proxy while a Redis Cluster master is killed (SIGKILL) and
/// its replica takes over; the same load and the same promises as the single-node kill test
/// (<see cref="LoadAndFaultTests"/>): 503 while a slot has no master, but no lost session (every confirmed sign-in
/// was on the replica that got promoted), never another user, never anonymous.
/// </summary>
public sealed class ClusterFailoverLoadTests(ITestOutputHelper output)
{
    private const int Users = 400;
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(75);

    [Fact]
    public async Task MasterKilledMidLoadLosesNoSessionAndNeverServesTheWrongUserOrAnonymous()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await using var stack = await GatewayStack.StartAsync(new GatewayStackOptions { RedisConnectionString = cluster.ConnectionString, WithSampleWeb = false });
        var load = new LoadRun(stack, users: Users, concurrency: 32);
        var counts = await load.RunAsync(async () =>
        {
            // The master of the event channel's slot: the failover also moves the sharded subscription.
            var victim = await cluster.MasterOfAsync("gw:events");
            await victim.StopAsync();
            var killedAt = load.Elapsed;
            output.WriteLine($"master :{victim.Port} killed at {killedAt.TotalSeconds:F1} s ({load.SignedIn} users signed in)");
            await cluster.WaitUntilSettledAsync(expectedReplicas: RedisCluster.Masters - 1);
            output.WriteLine($"replica promoted, cluster ok at {load.Elapsed.TotalSeconds:F1} s ({(load.Elapsed - killedAt).TotalSeconds:F1} s after the kill)");
            // The old master comes back as a replica of the new one, as a restarted node does in a managed cluster.
            await victim.StartAgainAsync();
            var rejoined = Stopwatch.StartNew();
            await cluster.WaitUntilSettledAsync(expectedReplicas: RedisCluster.Masters);
            output.WriteLine($"old master back as a replica after {rejoined.Elapsed.TotalSeconds:F1} s");
        });
        output.WriteLine("Redis Cluster master kill -9 + failover: " + counts);
        counts.AssertNothingLostOrLeaked(Users);
        Assert.True(counts.Duration < MaxDuration, $"took {counts.Duration.TotalSeconds:F1} s");
    }
}
