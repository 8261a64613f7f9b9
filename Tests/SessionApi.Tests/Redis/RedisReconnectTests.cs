using System.Diagnostics;
using SessionApi.Tests.Support;
using StackExchange.Redis;
using TestSupport;
using Xunit.Abstractions;
using static SessionApi.Tests.Support.RedisConnections;

namespace SessionApi.Tests.Redis;

/// <summary>Redis goes away and comes back while the SessionApi's one connection keeps being used.</summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class RedisReconnectTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CommandsFailFastWhileRedisIsDownAndSucceedAfterItRestartsWithoutANewClient()
    {
        await using var server = await RedisServer.StartAsync();
        var (host, redis) = await AsTheSessionApiAsync(server.ConnectionString + ",asyncTimeout=5000");
        using var _ = host;
        var db = redis.GetDatabase();
        await db.StringSetAsync("persisted", "yes");

        await server.StopAsync();
        await Eventually(() => !redis.IsConnected);
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            await Assert.ThrowsAsync<RedisConnectionException>(() => db.StringGetAsync("persisted"));
            Assert.True(watch.ElapsedMilliseconds < 500, $"a command while Redis is down took {watch.ElapsedMilliseconds} ms (asyncTimeout is 5000): it waited in a backlog");
        }

        var outage = Stopwatch.StartNew();
        await server.StartAgainAsync();
        var value = await UntilItWorks(() => db.StringGetAsync("persisted"));
        Assert.Equal("yes", value.ToString()); // appendonly persistence, as configured for the gateway
        Assert.True(redis.IsConnected);
        output.WriteLine($"usable again {outage.ElapsedMilliseconds} ms after redis-server was started again");
    }

    [Fact]
    public async Task InFlightCommandsFailWithAConnectionErrorWhenTheConnectionDrops()
    {
        await using var server = await RedisServer.StartAsync();
        var (host, redis) = await AsTheSessionApiAsync(server.ConnectionString + ",asyncTimeout=10000");
        using var _ = host;
        var blocked = redis.GetDatabase().ExecuteAsync("BLPOP", "never-filled", 8); // waits on the server
        await Task.Delay(200);
        Assert.False(blocked.IsCompleted);

        var watch = Stopwatch.StartNew();
        await server.StopAsync();
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => blocked);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"the in-flight command failed after {watch.ElapsedMilliseconds} ms");
        output.WriteLine(error.Message);
    }

    [Fact]
    public async Task SubscriptionsAreRestoredAfterARestart()
    {
        await using var server = await RedisServer.StartAsync();
        var (host, redis) = await AsTheSessionApiAsync(server.ConnectionString);
        using var _ = host;
        var (publisherHost, publisher) = await AsTheSessionApiAsync(server.ConnectionString);
        using var __ = publisherHost;
        var received = new List<string>();
        var news = RedisChannel.Literal("news");
        var queue = await redis.GetSubscriber().SubscribeAsync(news);
        queue.OnMessage(message =>
        {
            lock (received)
            {
                received.Add(message.Message.ToString());
            }
        });
        await publisher.GetSubscriber().PublishAsync(news, "before");
        await Eventually(() => Count(received) == 1);

        await server.StopAsync();
        await Eventually(() => !redis.IsConnected);
        await server.StartAgainAsync();

        // Until the subscriber is back PUBLISH reaches no one; then the message arrives without re-subscribing by hand.
        await Eventually(() => publisher.IsConnected && redis.IsConnected);
        var watch = Stopwatch.StartNew();
        while (await UntilItWorks(() => publisher.GetSubscriber().PublishAsync(news, "after restart")) == 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the subscription was not restored");
            await Task.Delay(20);
        }
        await Eventually(() => Count(received) == 2);
        Assert.Equal(["before", "after restart"], received);
    }

    private static int Count(List<string> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }
}
