using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Gateway.Contracts;
using SessionApi.Sessions;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;
using StackExchange.Redis;
using ClientInfo = Gateway.Contracts.ClientInfo;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.Cluster;

/// <summary>One 3-master, 3-replica Redis Cluster for the tests that do not kill nodes.</summary>
public sealed class SharedCluster : IAsyncLifetime
{
    public RedisCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RedisCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// The SessionApi against a real Redis Cluster (as Azure Managed Redis runs it with the OSS policy): a user's
/// sessions land in different hash slots on different masters, and every multi-key step still works (no CROSSSLOT);
/// a sign-in or revocation is confirmed only once a replica holds it.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class ClusterSessionTests(SharedCluster shared, ITestOutputHelper output) : IClassFixture<SharedCluster>
{
    private RedisCluster Cluster => shared.Cluster;

    [Fact]
    public async Task SessionsOfOneUserOnDifferentMastersAreListedAndRevokedTogether()
    {
        using var host = new SessionTestHost(Cluster.ConnectionString, new ManualTime());
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var created = new List<CreateSessionResponse>();
        for (var i = 0; i < 12; i++)
        {
            created.Add(await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "spread@example.com")));
        }
        await using var admin = await RedisConnections.AdminAsync(Cluster.ConnectionString);
        var masters = created.Select(c => admin.GetServer(RedisSessionStore.SessionKey(KeyOf(c.Cookie))).EndPoint.ToString()).Distinct().Count();
        output.WriteLine($"12 sessions of one user on {masters} masters");
        Assert.True(masters >= 2, "the sessions should be spread over several masters, or this test proves nothing");

        // Every session resolves, from any instance.
        foreach (var session in created)
        {
            Assert.Equal(userId, (await http.ResolveLiveAsync(session.Cookie)).Session.UserId);
        }
        var listed = await http.GetFromJsonAsync<SessionListResponse>($"/internal/v1/users/{userId}/sessions");
        Assert.Equal(created.Select(c => c.Session.Id).Order(), listed!.Sessions.Select(s => s.Id).Order());

        // One by its public id (the lookup lives in the user's slot), then the others, then all.
        using (var one = await http.RevokeAsync(created[0].Cookie, "one", created[1].Session.Id))
        {
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(created[1].Cookie)).StatusCode);
        using (var others = await http.RevokeAsync(created[0].Cookie, "others"))
        {
            Assert.Equal(HttpStatusCode.OK, others.StatusCode);
        }
        foreach (var session in created.Skip(1))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(session.Cookie)).StatusCode);
        }
        await http.ResolveLiveAsync(created[0].Cookie);
        using (var all = await http.RevokeAsync(created[0].Cookie, "all"))
        {
            Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(created[0].Cookie)).StatusCode);
        Assert.Empty((await http.GetFromJsonAsync<SessionListResponse>($"/internal/v1/users/{userId}/sessions"))!.Sessions);
    }

    [Fact]
    public async Task ABannedUsersSessionsOnEveryMasterEnd()
    {
        using var host = new SessionTestHost(Cluster.ConnectionString, new ManualTime());
        var http = host.Caller();
        var userId = Guid.NewGuid().ToString();
        var created = new List<CreateSessionResponse>();
        for (var i = 0; i < 8; i++)
        {
            created.Add(await http.CreateAsync(SessionTestHost.GoTrueSession(userId, "banned@example.com")));
        }
        using var banned = await http.PostAsJsonAsync($"/internal/v1/users/{userId}/changed", new UserChangedRequest("banned", default));
        Assert.Equal(HttpStatusCode.OK, banned.StatusCode);
        foreach (var session in created)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.ResolveAsync(session.Cookie)).StatusCode);
        }
    }

    [Fact]
    public async Task ASignInIsOnTheReplicaOfItsMasterWhenItIsConfirmed()
    {
        using var host = new SessionTestHost(Cluster.ConnectionString, new ManualTime());
        var http = host.Caller();
        await using var admin = await RedisConnections.AdminAsync(Cluster.ConnectionString);
        for (var i = 0; i < 10; i++)
        {
            var created = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "durable@example.com"));
            var onReplica = await admin.GetDatabase().StringGetAsync(RedisSessionStore.SessionKey(KeyOf(created.Cookie)), CommandFlags.DemandReplica);
            Assert.False(onReplica.IsNull, "a confirmed sign-in must already be on the replica");
        }
    }

    [Fact]
    public async Task ASignInNoReplicaAcknowledgesIsRefusedWithin503AndTheBound()
    {
        using var host = new SessionTestHost(Cluster.ConnectionString, new ManualTime(), new() { ["Redis:ReplicaAckTimeout"] = "00:00:00.500" });
        var http = host.Caller();
        await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "warm@example.com")); // connected, replicas known

        // Every replica stops answering for 2 s (its main thread sleeps): masters still list them as connected.
        var masters = await Cluster.MastersAsync();
        var replicas = Cluster.Nodes.Where(n => !masters.Contains(n)).ToList();
        var sleeping = replicas.Select(r => Task.Run(() => RedisCliSleep(r.Port, seconds: 2))).ToList();
        await Task.Delay(200);
        var watch = Stopwatch.StartNew();
        using var refused = await http.PostAsJsonAsync("/internal/v1/sessions",
            new CreateSessionRequest(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "unconfirmed@example.com"), new ClientInfo("127.0.0.1", "test")));
        var took = watch.Elapsed;
        output.WriteLine($"sign-in while replicas sleep: {(int)refused.StatusCode} after {took.TotalMilliseconds:F0} ms: {await refused.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("replica", await refused.Content.ReadAsStringAsync());
        Assert.True(took < TimeSpan.FromSeconds(1.5), $"refused after {took.TotalMilliseconds:F0} ms");
        Assert.DoesNotContain("Set-Cookie", refused.Headers.Select(h => h.Key));

        await Task.WhenAll(sleeping);
        await Cluster.WaitUntilSettledAsync(expectedReplicas: RedisCluster.Masters);
        await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "after@example.com"));
    }

    [Fact]
    public async Task RateLimitsAndNoncesWorkOnACluster()
    {
        using var host = new SessionTestHost(Cluster.ConnectionString, new ManualTime());
        var http = host.Caller();
        var key = "ip:" + Guid.NewGuid().ToString("N");
        var answers = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await http.PostAsJsonAsync("/internal/v1/rate-limit", new RateLimitRequest(key, 3, 60));
            answers.Add((await response.Content.ReadFromJsonAsync<RateLimitResponse>())!.Allowed);
        }
        Assert.Equal([true, true, true, false], answers);

        var id = Guid.NewGuid().ToString();
        using var first = await http.PostAsJsonAsync("/internal/v1/nonces", new NonceRequest("user-webhook", id, 300));
        using var replay = await http.PostAsJsonAsync("/internal/v1/nonces", new NonceRequest("user-webhook", id, 300));
        Assert.True((await first.Content.ReadFromJsonAsync<NonceResponse>())!.Fresh);
        Assert.False((await replay.Content.ReadFromJsonAsync<NonceResponse>())!.Fresh);
    }

    [Fact]
    public async Task EventsTravelOnAShardedChannel()
    {
        using var host = new SessionTestHost(Cluster.ConnectionString, new ManualTime());
        var http = host.Caller();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "sharded@example.com"));
        using var events = await EventStreamReader.OpenAsync(host.Caller());
        using (var revoked = await http.RevokeAsync(created.Cookie, "current"))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }
        var received = await events.NextAsync();
        Assert.Equal("revoked", received?.Kind);
        Assert.Contains(created.Session.Id, received!.SessionIds);
        var owner = await Cluster.MasterOfAsync(SessionApi.Events.SessionEventHub.Channel);
        await using var admin = await RedisConnections.AdminAsync($"127.0.0.1:{owner.Port}");
        var channels = (RedisResult[])(await admin.GetServer($"127.0.0.1:{owner.Port}").ExecuteAsync("PUBSUB", "SHARDCHANNELS"))!;
        Assert.Contains(SessionApi.Events.SessionEventHub.Channel, channels.Select(c => (string?)c));
    }

    internal static string KeyOf(string cookie) =>
        SessionCookie.TryParse(cookie, out var parsed) ? parsed.Key : throw new ArgumentException("not a session cookie");

    private static void RedisCliSleep(int port, int seconds)
    {
        using var process = Process.Start(new ProcessStartInfo("redis-cli", $"-h 127.0.0.1 -p {port} DEBUG SLEEP {seconds}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.WaitForExit();
    }
}
