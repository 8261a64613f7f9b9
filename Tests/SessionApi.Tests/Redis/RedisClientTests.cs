using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SessionApi.Redis;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.Redis;

/// <summary>Our RESP client against a real redis-server.</summary>
public sealed class RedisClientTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TenThousandConcurrentPipelinedCommandsAreAllAnsweredWithTheirOwnReplies()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        var watch = Stopwatch.StartNew();
        var writes = Enumerable.Range(0, 10_000).Select(i => client.ExecuteAsync("SET", [$"k{i}", $"v{i}"]));
        await Task.WhenAll(writes);
        var reads = await Task.WhenAll(Enumerable.Range(0, 10_000).Select(i => client.ExecuteAsync("GET", [$"k{i}"])));
        watch.Stop();
        for (var i = 0; i < reads.Length; i++)
        {
            Assert.Equal($"v{i}", reads[i].AsString());
        }
        output.WriteLine($"20,000 pipelined commands (10,000 SET + 10,000 GET) in {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task WrongPasswordFailsWithAClearMessageThatNamesTheUserButNotThePassword()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = "right-password" });
        var bad = RedisConnectionOptions.Parse($"127.0.0.1:{server.Port},password=wrong-password");
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => RedisClient.ConnectAsync(bad));
        Assert.Contains("authentication failed for user 'default'", error.Message);
        Assert.DoesNotContain("wrong-password", error.Message);

        await using var good = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        Assert.Equal("PONG", (await good.ExecuteAsync("PING", [])).AsString());
    }

    [Fact]
    public async Task AclUserAuthenticatesWithUserAndPassword()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { AclUser = ("gateway", "acl-secret") });
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse($"127.0.0.1:{server.Port},user=gateway,password=acl-secret"));
        Assert.Equal("gateway", (await client.ExecuteAsync("ACL", ["WHOAMI"])).AsString());
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() =>
            RedisClient.ConnectAsync(RedisConnectionOptions.Parse($"127.0.0.1:{server.Port},user=gateway,password=nope")));
        Assert.Contains("user 'gateway'", error.Message);
    }

    [Fact]
    public async Task DatabaseIndexIsHonoured()
    {
        await using var server = await RedisServer.StartAsync();
        await using var db3 = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString + ",defaultDatabase=3"));
        await using var db0 = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        await db3.ExecuteAsync("SET", ["only-in-3", "x"]);
        Assert.True((await db0.ExecuteAsync("GET", ["only-in-3"])).IsNull);
        Assert.Equal("x", (await db3.ExecuteAsync("GET", ["only-in-3"])).AsString());
    }

    [Fact]
    public async Task CommandsFailFastWhileRedisIsDownAndWorkAgainAfterItRestartsWithoutANewClient()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString + ",abortConnect=false"));
        var received = new List<string>();
        await using var subscription = await client.SubscribeAsync("news", message =>
        {
            lock (received)
            {
                received.Add(Encoding.UTF8.GetString(message.Span));
            }
            return ValueTask.CompletedTask;
        });
        await client.ExecuteAsync("SET", ["persisted", "yes"]);

        await server.StopAsync();
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<RedisConnectionException>(() => Retry(() => client.ExecuteAsync("GET", ["persisted"]), expectFailure: true));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(6), $"failing took {watch.Elapsed}");

        await server.StartAgainAsync();
        var value = await Retry(() => client.ExecuteAsync("GET", ["persisted"]), expectFailure: false);
        Assert.Equal("yes", value.AsString()); // appendonly persistence, as configured for the gateway
        output.WriteLine($"reconnected {watch.ElapsedMilliseconds} ms after the outage began");

        // The pub/sub connection is re-established and re-subscribed too.
        await Retry(async () =>
        {
            await client.PublishAsync("news", Encoding.UTF8.GetBytes("after restart"));
            await Task.Delay(50);
            lock (received)
            {
                return received.Contains("after restart") ? RedisReply.Int(1) : throw new RedisConnectionException("not yet");
            }
        }, expectFailure: false);
    }

    [Fact]
    public async Task TlsConnectionsWork()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem()) });

        // An untrusted (self-signed) certificate is refused unless explicitly allowed, as Development allows Aspire's dev cert.
        await Assert.ThrowsAsync<RedisConnectionException>(() => RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString)));
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString) with { AllowUntrustedCertificate = true });
        Assert.Equal("PONG", (await client.ExecuteAsync("PING", [])).AsString());
    }

    [Fact]
    public async Task SlowCommandsTimeOutWithAClearError()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString + ",asyncTimeout=200"));
        await using var admin = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString));
        await admin.ExecuteAsync("CLIENT", ["PAUSE", "1000", "ALL"]);
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.ExecuteAsync("GET", ["anything"]));
        Assert.Contains("timed out after 200 ms", error.Message);
    }

    [Theory]
    [InlineData("localhost:6379,password=p@ss,ssl=true,abortConnect=false", "localhost", 6379, null, "p@ss", true, 0)]
    [InlineData("redis.internal:6380,user=app,password=x,defaultDatabase=2", "redis.internal", 6380, "app", "x", false, 2)]
    [InlineData("rediss://app:s3cret@cache.example:6390/4", "cache.example", 6390, "app", "s3cret", true, 4)]
    [InlineData("redis://:only-password@127.0.0.1", "127.0.0.1", 6379, null, "only-password", false, 0)]
    [InlineData("myhost", "myhost", 6379, null, null, false, 0)]
    public void ConnectionStringsInAspiresFormatAndUrisParse(string value, string host, int port, string? user, string? password, bool ssl, int db)
    {
        var options = RedisConnectionOptions.Parse(value);
        Assert.Equal((host, port), options.Primary);
        Assert.Equal(user, options.User);
        Assert.Equal(password, options.Password);
        Assert.Equal(ssl, options.Ssl);
        Assert.Equal(db, options.Database);
    }

    [Theory]
    [InlineData("")]
    [InlineData("password=x")]
    [InlineData("host:notaport")]
    [InlineData("host:6379,defaultDatabase=-1")]
    public void InvalidConnectionStringsAreRefusedWithAReason(string value) =>
        Assert.NotEmpty(Assert.Throws<FormatException>(() => RedisConnectionOptions.Parse(value)).Message);

    private static async Task<RedisReply> Retry(Func<Task<RedisReply>> action, bool expectFailure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                var reply = await action();
                if (!expectFailure || DateTime.UtcNow > deadline)
                {
                    return reply;
                }
            }
            catch (RedisConnectionException) when (!expectFailure && DateTime.UtcNow < deadline)
            {
            }
            await Task.Delay(50);
        }
    }
}
