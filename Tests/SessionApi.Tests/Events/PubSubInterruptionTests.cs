using System.Diagnostics;
using System.Net;
using SessionApi.Tests.Sessions;
using SessionApi.Tests.Support;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.Events;

/// <summary>
/// Redis stays up but the SessionApi's pub/sub connection is cut (CLIENT KILL TYPE pubsub): anything published
/// until it re-subscribes is lost, so the event streams to Proxies must end at once (well before the heartbeat
/// timeout), and a new stream must carry revocations again once the subscription is back.
/// </summary>
public sealed class PubSubInterruptionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RedisServer _redis = null!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task CuttingThePubSubConnectionEndsEventStreamsAtOnceAndNewStreamsCarryRevocations()
    {
        using var host = new SessionTestHost(_redis, new ManualTime());
        var http = host.Caller();
        var created = await http.CreateAsync(SessionTestHost.GoTrueSession(Guid.NewGuid().ToString(), "cut@example.com"));
        using var events = await EventStreamReader.OpenAsync(host.Caller());
        await using var admin = await RedisConnections.AdminAsync(_redis.ConnectionString);

        var watch = Stopwatch.StartNew();
        var killed = await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        Assert.True((long)killed >= 1, "no pub/sub connection was cut");

        // Heartbeats stop being trusted only after 3.5 s; the stream must end long before that.
        Assert.Null(await events.NextAsync(TimeSpan.FromSeconds(10)));
        output.WriteLine($"event stream ended {watch.ElapsedMilliseconds} ms after the pub/sub connection was cut");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"the stream ended only after {watch.ElapsedMilliseconds} ms");

        // Commands never stopped working: the session is still live.
        Assert.Equal(HttpStatusCode.OK, (await http.ResolveAsync(created.Cookie)).StatusCode);

        using var again = await OpenWhenLiveAsync(host);
        output.WriteLine($"a new stream said hello {watch.ElapsedMilliseconds} ms after the cut");
        Assert.Equal(HttpStatusCode.OK, (await http.RevokeAsync(created.Cookie, "current")).StatusCode);
        Assert.Equal("revoked", (await again.NextAsync())?.Kind);
    }

    private static async Task<EventStreamReader> OpenWhenLiveAsync(SessionTestHost host)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await EventStreamReader.OpenAsync(host.Caller());
            }
            catch (Exception) when (deadline.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(100);
            }
        }
    }
}
