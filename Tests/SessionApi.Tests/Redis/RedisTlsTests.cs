using SessionApi.Tests.Support;
using StackExchange.Redis;
using TestSupport;
using static SessionApi.Tests.Support.RedisConnections;

namespace SessionApi.Tests.Redis;

/// <summary>TLS to redis-server (tls-port) with self-signed certificates: refused unless trusted, in the ways we allow.</summary>
public sealed class RedisTlsTests
{
    [Fact]
    public async Task AnUntrustedCertificateIsRefused()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true });
        var (host, redis) = await AsTheSessionApiAsync(server.ConnectionString);
        using var _ = host;
        Assert.False(redis.IsConnected);
        await Assert.ThrowsAsync<RedisConnectionException>(() => redis.GetDatabase().PingAsync());
    }

    [Fact]
    public async Task TheIssuingCaFromAFileIsTrusted()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true, Password = "tls-pass" });
        var trustCa = new Dictionary<string, string?> { ["Redis:CaCertificatePath"] = server.CertificatePath };
        var (host, redis) = await AsTheSessionApiAsync(server.ConnectionString, settings: trustCa);
        using var _ = host;
        var db = redis.GetDatabase();
        await db.PingAsync();
        var echoes = await Task.WhenAll(Enumerable.Range(0, 10_000).Select(i => db.ExecuteAsync("ECHO", i)));
        Assert.Equal(10_000, echoes.Select((reply, i) => (long)reply == i).Count(matches => matches));

        // The name on the certificate is still checked.
        var (wrongNameHost, wrongName) = await AsTheSessionApiAsync(server.ConnectionString.Replace("sslHost=localhost", "sslHost=redis.example"), settings: trustCa);
        using var __ = wrongNameHost;
        Assert.False(wrongName.IsConnected);
    }

    [Fact]
    public async Task TheAspNetDevelopmentCertificateIsTrustedInDevelopmentOnly()
    {
        await using var devCert = await RedisServer.StartAsync(new RedisServerOptions { Tls = true, TlsLooksLikeAspNetDevCertificate = true });
        var (developmentHost, development) = await AsTheSessionApiAsync(devCert.ConnectionString, "Development");
        using (developmentHost)
        {
            await development.GetDatabase().PingAsync();
        }
        var (productionHost, production) = await AsTheSessionApiAsync(devCert.ConnectionString, "Production");
        using (productionHost)
        {
            Assert.False(production.IsConnected);
        }
        var (optedOutHost, optedOut) = await AsTheSessionApiAsync(devCert.ConnectionString, "Development", new() { ["Redis:TrustDevCertificate"] = "false" });
        using (optedOutHost)
        {
            Assert.False(optedOut.IsConnected);
        }

        // Any other self-signed certificate is still refused, unless explicitly allowed (Development only).
        await using var other = await RedisServer.StartAsync(new RedisServerOptions { Tls = true });
        var (otherHost, otherRedis) = await AsTheSessionApiAsync(other.ConnectionString, "Development");
        using (otherHost)
        {
            Assert.False(otherRedis.IsConnected);
        }
        var (anyHost, anyCertificate) = await AsTheSessionApiAsync(other.ConnectionString, "Development", new() { ["Redis:AllowUntrustedCertificate"] = "true" });
        using (anyHost)
        {
            await anyCertificate.GetDatabase().PingAsync();
        }
    }
}
