using SessionApi.Redis;

namespace SessionApi.Tests.Redis;

/// <summary>The connection strings Aspire (StackExchange.Redis format) and redis:// URIs produce.</summary>
public sealed class RedisConnectionOptionsTests
{
    [Theory]
    [InlineData("localhost:6379,password=p@ss=word,ssl=true,abortConnect=false", "localhost", 6379, null, "p@ss=word", true, 0)] // Aspire 13.1 local Redis
    [InlineData("redis.internal:6380,user=app,password=x,defaultDatabase=2", "redis.internal", 6380, "app", "x", false, 2)]
    [InlineData("rediss://app:s%3Acret@cache.example:6390/4", "cache.example", 6390, "app", "s:cret", true, 4)]
    [InlineData("redis://:only-password@127.0.0.1", "127.0.0.1", 6379, null, "only-password", false, 0)]
    [InlineData("redis://localhost:6400/0", "localhost", 6400, null, null, false, 0)]
    [InlineData("myhost", "myhost", 6379, null, null, false, 0)]
    [InlineData("[::1]:7000,ssl=false", "::1", 7000, null, null, false, 0)]
    [InlineData(" HOST:1 , Password=P , SSL=True ", "HOST", 1, null, "P", true, 0)]
    public void ParsesEndpointCredentialsTlsAndDatabase(string value, string host, int port, string? user, string? password, bool ssl, int db)
    {
        var options = RedisConnectionOptions.Parse(value);
        Assert.Equal((host, port), options.Primary);
        Assert.Equal(user, options.User);
        Assert.Equal(password, options.Password);
        Assert.Equal(ssl, options.Ssl);
        Assert.Equal(db, options.Database);
    }

    [Fact]
    public void ParsesTimeoutsNamesAndSeveralEndpointsAndListsIgnoredSettings()
    {
        var options = RedisConnectionOptions.Parse(
            "a:1,b:2,sslHost=redis.example,name=session-api,connectTimeout=1500,syncTimeout=9000,asyncTimeout=750,abortConnect=false,keepAlive=60,allowAdmin=true");
        Assert.Equal([("a", 1), ("b", 2)], options.Endpoints);
        Assert.Equal("redis.example", options.SslHost);
        Assert.Equal("session-api", options.ClientName);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(750), options.CommandTimeout); // asyncTimeout wins over syncTimeout
        Assert.False(options.AbortConnect);
        Assert.Equal(["keepAlive", "allowAdmin"], options.IgnoredSettings);

        var defaults = RedisConnectionOptions.Parse("a:1");
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.CommandTimeout);
        Assert.True(defaults.AbortConnect);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), RedisConnectionOptions.Parse("a:1,syncTimeout=2500").CommandTimeout);
    }

    [Fact]
    public void DescriptionsNeverContainThePassword()
    {
        var options = RedisConnectionOptions.Parse("cache:6380,user=app,password=hunter2-secret,ssl=true,defaultDatabase=1");
        Assert.Equal("cache:6380 (TLS) db 1", options.ToString());
        Assert.DoesNotContain("hunter2", options.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("password=x", "names no host:port")]
    [InlineData("host:notaport", "invalid port 'notaport'")]
    [InlineData("host:70000", "invalid port '70000'")]
    [InlineData("host:6379,defaultDatabase=-1", "'defaultDatabase' must be a non-negative integer")]
    [InlineData("host:6379,ssl=yes", "'ssl' must be true or false")]
    [InlineData("host:6379,asyncTimeout=0", "'asyncTimeout' must be a positive number of milliseconds")]
    [InlineData("redis://", "not valid")]
    public void InvalidConnectionStringsAreRefusedWithTheReason(string value, string reason) =>
        Assert.Contains(reason, Assert.Throws<FormatException>(() => RedisConnectionOptions.Parse(value)).Message);
}
