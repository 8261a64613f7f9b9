using SessionApi.Redis;
using TestSupport;

namespace SessionApi.Tests.Redis;

/// <summary>TLS to redis-server (tls-port) with self-signed certificates: refused unless trusted, in the ways we allow.</summary>
public sealed class RedisTlsTests
{
    [Fact]
    public async Task AnUntrustedCertificateIsRefusedWithAnExplanation()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true });
        var error = await Assert.ThrowsAnyAsync<RedisConnectionException>(() => RedisClient.ConnectAsync(RedisConnectionOptions.Parse(server.ConnectionString)));
        Assert.Contains("TLS handshake with Redis", error.Message);
        Assert.Contains("Redis:CaCertificatePath", error.Message);
    }

    [Fact]
    public async Task TheIssuingCaFromAFileIsTrusted()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true, Password = "tls-pass" });
        var options = RedisConnectionOptions.Parse(server.ConnectionString) with { CaCertificatePath = server.CertificatePath };
        await using var client = await RedisClient.ConnectAsync(options);
        Assert.Equal("PONG", (await client.ExecuteAsync("PING", [])).AsString());
        Assert.Equal(10_000, (await Task.WhenAll(Enumerable.Range(0, 10_000).Select(i => client.ExecuteAsync("ECHO", [(long)i]))))
            .Select((reply, i) => reply.AsLong() == i).Count(matches => matches));

        // The name on the certificate is still checked.
        var wrongName = options with { SslHost = "redis.example" };
        await Assert.ThrowsAnyAsync<RedisConnectionException>(() => RedisClient.ConnectAsync(wrongName));
    }

    [Fact]
    public async Task TheAspNetDevelopmentCertificateIsAcceptedWhenTrustDevCertificateIsOn()
    {
        await using var devCert = await RedisServer.StartAsync(new RedisServerOptions { Tls = true, TlsLooksLikeAspNetDevCertificate = true });
        await using var client = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(devCert.ConnectionString) with { TrustDevCertificate = true });
        Assert.Equal("PONG", (await client.ExecuteAsync("PING", [])).AsString());
        await Assert.ThrowsAnyAsync<RedisConnectionException>(() => RedisClient.ConnectAsync(RedisConnectionOptions.Parse(devCert.ConnectionString)));

        // Any other self-signed certificate is still refused.
        await using var other = await RedisServer.StartAsync(new RedisServerOptions { Tls = true });
        await Assert.ThrowsAnyAsync<RedisConnectionException>(() =>
            RedisClient.ConnectAsync(RedisConnectionOptions.Parse(other.ConnectionString) with { TrustDevCertificate = true }));
        await using var anyCertificate = await RedisClient.ConnectAsync(RedisConnectionOptions.Parse(other.ConnectionString) with { AllowUntrustedCertificate = true });
        Assert.Equal("PONG", (await anyCertificate.ExecuteAsync("PING", [])).AsString());
    }
}
