using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Gateway.Contracts;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.Cluster;

/// <summary>
/// Failovers and deployments without replicas. The failover test has a cluster of its own (it kills a master);
/// the single-node tests say what a confirmed write means there.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class ClusterFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EventSubscriptionAndConfirmedSessionsSurviveAFailoverOfTheChannelsMaster()
    {
        await using var cluster = await RedisCluster.StartAsync();
        using var host = new SessionTestHost(cluster.ConnectionString, new ManualTime());
        var http = host.Caller();
        var sessions = new List<CreateSessionResponse>();
        for (var i = 0; i < 12; i++)
        {
            sessions.Add(await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), $"failover{i}@example.com")));
        }
        using (var before = await EventStreamReader.OpenAsync(host.Caller()))
        {
            var victim = await cluster.MasterOfAsync(SessionApi.Events.SessionEventHub.Channel);
            var watch = Stopwatch.StartNew();
            await victim.StopAsync(); // SIGKILL
            // The hub ends open streams when its connection to a node drops: the Proxy then stops trusting its cache.
            Assert.Null(await before.NextAsync(TimeSpan.FromSeconds(10)));
            output.WriteLine($"stream ended {watch.ElapsedMilliseconds} ms after the kill");
        }

        // A replica takes over the channel's slot; the client moves the sharded subscription there and the hub is live again.
        var reopened = Stopwatch.StartNew();
        EventStreamReader? after = null;
        while (after is null)
        {
            Assert.True(reopened.Elapsed < TimeSpan.FromSeconds(30), "the event stream did not come back after the failover");
            using var probe = host.Caller();
            var response = await probe.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/internal/v1/events"), HttpCompletionOption.ResponseHeadersRead);
            var status = response.StatusCode;
            response.Dispose();
            if (status == HttpStatusCode.OK)
            {
                after = await EventStreamReader.OpenAsync(host.Caller());
            }
            else
            {
                await Task.Delay(200);
            }
        }
        output.WriteLine($"event stream back {reopened.ElapsedMilliseconds} ms after it ended");
        using (after)
        {
            // Every confirmed session survived the failover (it was on the promoted replica).
            foreach (var session in sessions)
            {
                await RedisConnections.Eventually(() => http.ResolveAsync(session.Cookie).GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK, seconds: 15);
            }
            using (var revoked = await http.RevokeAsync(sessions[0].Cookie, "current"))
            {
                Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
            }
            var received = await after.NextAsync(TimeSpan.FromSeconds(5));
            Assert.Equal("revoked", received?.Kind);
            Assert.Contains(sessions[0].Session.Id, received!.SessionIds);
        }
    }

    [Fact]
    public async Task OneNodeConfirmsOnTheMasterWhenReplicasAreAutoAndRefusesWhenOneIsRequired()
    {
        await using var redis = await RedisServer.StartAsync();
        using (var auto = new SessionTestHost(redis, new ManualTime()))
        {
            await auto.Caller().CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "single@example.com"));
        }
        using var required = new SessionTestHost(redis, new ManualTime(), new()
        {
            ["Redis:ReplicaAcks"] = "1",
            ["Redis:ReplicaAckTimeout"] = "00:00:00.300",
        });
        using var refused = await required.Caller().PostAsJsonAsync("/internal/v1/sessions",
            new CreateSessionRequest(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "required@example.com"), new ClientInfo("127.0.0.1", "test")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("replica", await refused.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("sometimes")]
    [InlineData("9")]
    public async Task AnInvalidReplicaAckSettingStopsStartupNamingIt(string value)
    {
        await using var redis = await RedisServer.StartAsync();
        using var host = new SessionTestHost(redis, new ManualTime(), new() { ["Redis:ReplicaAcks"] = value });
        var failure = Assert.ThrowsAny<Exception>(() => host.CreateClient());
        Assert.Contains("Redis:ReplicaAcks", failure.ToString());
    }
}
