using System.Diagnostics;
using System.Text;
using SessionApi.Redis;
using SessionApi.Tests.Support;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.Redis;

/// <summary>Our RESP client against a real redis-server: pipelining, authentication, databases, timeouts.</summary>
[Collection(TimingSensitiveCollection.Name)]
public sealed class RedisClientTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TenThousandConcurrentPipelinedCommandsEachGetTheirOwnReply()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        const int count = 10_000;

        // Issued from many thread-pool threads at once; payload sizes vary so replies cross read-buffer boundaries.
        var watch = Stopwatch.StartNew();
        var echoes = await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            Task.Run(() => client.ExecuteAsync("ECHO", [$"{i}:" + new string('x', i % 97 * 7)]))));
        var echoElapsed = watch.Elapsed;
        for (var i = 0; i < count; i++)
        {
            Assert.Equal($"{i}:" + new string('x', i % 97 * 7), echoes[i].AsString());
        }

        watch.Restart();
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => client.ExecuteAsync("SET", [$"k{i}", (long)i * 3])));
        var reads = await Task.WhenAll(Enumerable.Range(0, count).Select(i => client.ExecuteAsync("GET", [$"k{i}"])));
        var setGetElapsed = watch.Elapsed;
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i * 3), reads.Select(r => r.AsLong()));
        output.WriteLine($"{count:N0} concurrent ECHO in {echoElapsed.TotalMilliseconds:0} ms; {count:N0} SET + {count:N0} GET in {setGetElapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task BinaryValuesAndAllReplyKindsRoundTrip()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).Concat("\r\n$-1\r\n"u8.ToArray()).ToArray();

        Assert.Equal(RedisReplyKind.SimpleString, (await client.ExecuteAsync("SET", ["bin", binary])).Kind);
        Assert.Equal(binary, (await client.ExecuteAsync("GET", ["bin"])).AsBytes());
        Assert.True((await client.ExecuteAsync("GET", ["missing"])).IsNull);
        Assert.Equal(3, (await client.ExecuteAsync("RPUSH", ["list", "a", "b", "c"])).AsLong());
        var list = await client.ExecuteAsync("LRANGE", ["list", 0, -1]);
        Assert.Equal(["a", "b", "c"], list.Items.Select(item => item.AsString()));
        var error = await Assert.ThrowsAsync<RedisServerException>(() => client.ExecuteAsync("INCR", ["list"]));
        Assert.Contains("WRONGTYPE", error.Message);
        Assert.Equal("PONG", (await client.ExecuteAsync("PING", [])).AsString()); // the connection survives an error reply
    }

    [Fact]
    public async Task WrongPasswordFailsWithAClearMessageThatNamesTheUserButNotThePassword()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = "right-password" });
        var bad = RedisConnectionOptions.Parse($"127.0.0.1:{server.Port},password=wrong-password");
        var error = await Assert.ThrowsAnyAsync<RedisConnectionException>(() => RedisClient.ConnectAsync(bad));
        Assert.StartsWith("Redis authentication failed for user 'default': WRONGPASS", error.Message);
        Assert.DoesNotContain("wrong-password", error.Message);

        var missing = await Assert.ThrowsAnyAsync<RedisServerException>(async () =>
        {
            await using var anonymous = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse($"127.0.0.1:{server.Port}"));
            await anonymous.ExecuteAsync("GET", ["x"]);
        });
        Assert.Contains("NOAUTH", missing.Message);

        await using var good = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        Assert.Equal("PONG", (await good.ExecuteAsync("PING", [])).AsString());
    }

    [Fact]
    public async Task AclUserAuthenticatesWithUserAndPassword()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { AclUser = ("gateway", "acl-secret") });
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse($"127.0.0.1:{server.Port},user=gateway,password=acl-secret"));
        Assert.Equal("gateway", (await client.ExecuteAsync("ACL", ["WHOAMI"])).AsString());

        var error = await Assert.ThrowsAnyAsync<RedisConnectionException>(() =>
            RedisClient.ConnectAsync(RedisConnectionOptions.Parse($"127.0.0.1:{server.Port},user=gateway,password=not-the-secret")));
        Assert.Equal("Redis authentication failed for user 'gateway': WRONGPASS invalid username-password pair or user is disabled.", error.Message);
    }

    [Fact]
    public async Task DatabaseIndexAndClientNameAreApplied()
    {
        await using var server = await RedisServer.StartAsync();
        await using var db3 = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString + ",defaultDatabase=3,name=session-api"));
        await using var db0 = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        await db3.ExecuteAsync("SET", ["only-in-3", "x"]);
        Assert.True((await db0.ExecuteAsync("GET", ["only-in-3"])).IsNull);
        Assert.Equal("x", (await db3.ExecuteAsync("GET", ["only-in-3"])).AsString());
        Assert.Equal("session-api", (await db3.ExecuteAsync("CLIENT", ["GETNAME"])).AsString());

        var refused = await Assert.ThrowsAnyAsync<RedisConnectionException>(() =>
            RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString + ",defaultDatabase=99")));
        Assert.Contains("refused database 99", refused.Message);
    }

    [Fact]
    public async Task ASlowServerGivesAClearTimeoutAndTheConnectionStaysInStep()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString + ",asyncTimeout=1000"));
        await using var admin = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        await client.ExecuteAsync("SET", ["key", "value"]);

        // The timeout is 1 s (a busy CI box can take a few hundred ms for an ordinary first command) and the server is
        // blocked for 4 s, so scheduling delays cannot make the timeout and the late answer look alike. The admin
        // client's default timeout (5 s) outlasts the sleep.
        var sleeping = admin.ExecuteAsync("DEBUG", ["SLEEP", "4"]);
        await Task.Delay(100);
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RedisTimeoutException>(() => client.ExecuteAsync("GET", ["key"]));
        Assert.InRange(watch.ElapsedMilliseconds, 950, 3000); // the timeout, not the server's reply after ~3.9 s
        Assert.StartsWith("Redis GET timed out after 1000 ms (asyncTimeout)", error.Message);
        Assert.IsAssignableFrom<RedisConnectionException>(error);
        Assert.IsType<TimeoutException>(error.InnerException);
        await sleeping;

        // The late reply to the timed-out GET is discarded in order: later commands get their own replies.
        Assert.Equal("value", (await client.ExecuteAsync("GET", ["key"])).AsString());
        Assert.Equal("other", (await client.ExecuteAsync("ECHO", ["other"])).AsString());
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task UnreachableServerFailsWithTheEndpointInTheMessage()
    {
        var port = FreePort.Next();
        var error = await Assert.ThrowsAnyAsync<RedisConnectionException>(() =>
            RedisClient.ConnectAsync(RedisConnectionOptions.Parse($"127.0.0.1:{port},connectTimeout=1000")));
        Assert.Contains($"127.0.0.1:{port}", error.Message);

        // abortConnect=false: a client is returned anyway; commands fail fast until Redis appears.
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse($"127.0.0.1:{port},abortConnect=false"));
        Assert.False(client.IsConnected);
        var watch = Stopwatch.StartNew();
        var unavailable = await Assert.ThrowsAnyAsync<RedisConnectionException>(() => client.ExecuteAsync("PING", []));
        Assert.True(watch.ElapsedMilliseconds < 200, $"took {watch.ElapsedMilliseconds} ms");
        Assert.Contains("unavailable", unavailable.Message);
    }

    [Fact]
    public async Task PubSubDeliversInOrderToEverySubscriberUntilDisposed()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        var first = new List<string>();
        var second = new List<string>();
        var subscription = await client.SubscribeAsync("events", m => Add(first, m));
        await using var other = await client.SubscribeAsync("events", m => Add(second, m));
        await client.SubscribeAsync("unrelated", _ => throw new InvalidOperationException("must not be called"));

        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(1, await client.PublishAsync("events", Encoding.UTF8.GetBytes($"m{i}"))); // one subscribed connection
        }
        await Eventually(() => Count(first) == 500 && Count(second) == 500);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"m{i}"), first);
        Assert.Equal(first, second);

        await subscription.DisposeAsync();
        await client.PublishAsync("events", "after"u8.ToArray());
        await Eventually(() => Count(second) == 501);
        Assert.Equal(500, Count(first));
    }

    internal static ValueTask Add(List<string> into, ReadOnlyMemory<byte> message)
    {
        lock (into)
        {
            into.Add(Encoding.UTF8.GetString(message.Span));
        }
        return ValueTask.CompletedTask;
    }

    internal static int Count(List<string> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }

    internal static async Task Eventually(Func<bool> condition, int seconds = 10)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(seconds), "condition not met in time");
            await Task.Delay(20);
        }
    }
}
