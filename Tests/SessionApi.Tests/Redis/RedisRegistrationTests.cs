using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SessionApi.Redis;
using TestSupport;
using static SessionApi.Tests.Redis.RedisClientTests;

namespace SessionApi.Tests.Redis;

/// <summary>AddRedisClient: settings validated at startup, TLS trust gated on the environment, readiness check.</summary>
public sealed class RedisRegistrationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("password=only")]
    public void AMissingOrInvalidConnectionStringStopsStartupNamingTheSetting(string? connectionString)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:redis"] = connectionString }).Build();
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddRedisClient(configuration));
        Assert.Contains("'ConnectionStrings:redis'", error.Message);
        Assert.DoesNotContain("only", error.Message);
    }

    [Fact]
    public void AMissingCaFileStopsStartupNamingTheSetting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = "localhost:6379,ssl=true",
            ["Redis:CaCertificatePath"] = "/nonexistent/ca.pem",
        }).Build();
        Assert.Contains("'Redis:CaCertificatePath'", Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddRedisClient(configuration)).Message);
    }

    [Theory]
    [InlineData("Development", true)]
    [InlineData("Production", false)]
    public async Task AllowUntrustedCertificateIsHonouredOnlyInDevelopment(string environment, bool connects)
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = true });
        await using var app = await StartAppAsync(environment, new()
        {
            ["ConnectionStrings:redis"] = server.ConnectionString,
            ["Redis:AllowUntrustedCertificate"] = "true",
        });
        var redis = app.Services.GetRequiredService<IRedisClient>();
        Assert.Equal(connects, redis.IsConnected);
    }

    [Fact]
    public async Task ReadinessFollowsRedisWhileLivenessDoesNot()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = "ready-pass" });
        await using var app = await StartAppAsync("Production", new() { ["ConnectionStrings:redis"] = server.ConnectionString });
        var http = app.GetTestClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);

        await server.StopAsync();
        await Eventually(() => !app.Services.GetRequiredService<IRedisClient>().IsConnected);
        var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("\"redis\":\"Unhealthy\"", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);

        await server.StartAgainAsync();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while ((await http.GetAsync("/health")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "readiness did not recover");
            await Task.Delay(50);
        }
    }

    private static async Task<WebApplication> StartAppAsync(string environment, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.AddRedisClient();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        return app;
    }
}
