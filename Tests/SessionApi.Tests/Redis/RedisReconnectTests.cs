using System.Diagnostics;
using System.Text;
using SessionApi.Redis;
using TestSupport;
using Xunit.Abstractions;
using static SessionApi.Tests.Redis.RedisClientTests;

namespace SessionApi.Tests.Redis;

/// <summary>Redis goes away and comes back while one client keeps being used.</summary>
public sealed class RedisReconnectTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CommandsFailFastWhileRedisIsDownAndSucceedAfterItRestartsWithoutANewClient()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString + ",asyncTimeout=5000"));
        await client.ExecuteAsync("SET", ["persisted", "yes"]);

        await server.StopAsync();
        await Eventually(() => !client.IsConnected);
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            var error = await Assert.ThrowsAnyAsync<RedisConnectionException>(() => client.ExecuteAsync("GET", ["persisted"]));
            Assert.True(watch.ElapsedMilliseconds < 500, $"a command while Redis is down took {watch.ElapsedMilliseconds} ms (asyncTimeout is 5000)");
            Assert.Contains("unavailable", error.Message);
        }

        var outage = Stopwatch.StartNew();
        await server.StartAgainAsync();
        var value = await UntilItWorks(() => client.ExecuteAsync("GET", ["persisted"]));
        Assert.Equal("yes", value.AsString()); // appendonly persistence, as configured for the gateway
        Assert.True(client.IsConnected);
        output.WriteLine($"usable again {outage.ElapsedMilliseconds} ms after redis-server was started again");
    }

    [Fact]
    public async Task InFlightCommandsFailWithAConnectionErrorWhenTheConnectionDrops()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString + ",asyncTimeout=10000"));
        var blocked = client.ExecuteAsync("BLPOP", ["never-filled", 8]); // waits on the server
        await Task.Delay(200);
        Assert.False(blocked.IsCompleted);

        var watch = Stopwatch.StartNew();
        await server.StopAsync();
        var error = await Assert.ThrowsAnyAsync<RedisConnectionException>(() => blocked);
        Assert.IsNotType<RedisTimeoutException>(error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"the in-flight command failed after {watch.ElapsedMilliseconds} ms");
        output.WriteLine(error.Message);
    }

    [Fact]
    public async Task SubscriptionsAreRestoredAfterARestart()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        await using var publisher = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString + ",abortConnect=false"));
        var received = new List<string>();
        await using var subscription = await client.SubscribeAsync("news", m => Add(received, m));
        await publisher.PublishAsync("news", "before"u8.ToArray());
        await Eventually(() => Count(received) == 1);

        await server.StopAsync();
        await Eventually(() => !client.IsConnected);
        await server.StartAgainAsync();

        // Until the subscriber is back PUBLISH reaches no one; then the message arrives without re-subscribing by hand.
        await Eventually(() => publisher.IsConnected && client.IsConnected);
        var watch = Stopwatch.StartNew();
        while (await UntilItWorks(() => publisher.ExecuteAsync("PUBLISH", ["news", "after restart"])) is { } receivers && receivers.AsLong() == 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the subscription was not restored");
            await Task.Delay(20);
        }
        await Eventually(() => Count(received) == 2);
        Assert.Equal(["before", "after restart"], received);
    }

    private static async Task<RedisReply> UntilItWorks(Func<Task<RedisReply>> action)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await action();
            }
            catch (RedisConnectionException) when (watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }
        }
    }
}
