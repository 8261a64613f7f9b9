using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SessionApi.Storage;
using StackExchange.Redis;
using TestSupport;
using static SessionApi.Tests.Support.RedisConnections;

namespace SessionApi.Tests.Redis;

/// <summary>AddSessionRedis: settings validated at startup, TLS trust gated on the environment, readiness check.</summary>
public sealed class RedisRegistrationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("password=only")]
    public void AMissingOrInvalidConnectionStringStopsStartupNamingTheSetting(string? connectionString)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Builder("Production", new() { ["ConnectionStrings:redis"] = connectionString }).AddSessionRedis());
        Assert.Contains("'ConnectionStrings:redis'", error.Message);
        Assert.DoesNotContain("only", error.Message);
    }

    [Fact]
    public void AMissingCaFileStopsStartupNamingTheSetting()
    {
        var builder = Builder("Production", new()
        {
            ["ConnectionStrings:redis"] = "localhost:6379,ssl=true",
            ["Redis:CaCertificatePath"] = "/nonexistent/ca.pem",
        });
        Assert.Contains("'Redis:CaCertificatePath'", Assert.Throws<InvalidOperationException>(() => builder.AddSessionRedis()).Message);
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
        Assert.Equal(connects, app.Services.GetRequiredService<IConnectionMultiplexer>().IsConnected);
    }

    [Fact]
    public async Task AclUserAndPasswordAreUsedAndAWrongPasswordIsRefused()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = "default-pass" });
        await using (var admin = await AdminAsync(server.ConnectionString))
        {
            await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "gateway", "on", ">gateway-pass", "~gw:*", "&gw:*", "+@all");
        }
        var withUser = server.ConnectionString.Replace("password=default-pass", "user=gateway,password=gateway-pass");
        var (host, redis) = await AsTheSessionApiAsync(withUser);
        using (host)
        {
            var db = redis.GetDatabase();
            await db.StringSetAsync("gw:acl-check", "ok");
            Assert.Equal("ok", (await db.StringGetAsync("gw:acl-check")).ToString());
            await Assert.ThrowsAsync<RedisServerException>(() => db.StringSetAsync("outside-the-acl", "x")); // the ACL applies: it is that user
        }
        var (wrongHost, wrong) = await AsTheSessionApiAsync(withUser.Replace("gateway-pass", "not-the-password"));
        using (wrongHost)
        {
            Assert.False(wrong.IsConnected);
        }
    }

    [Fact]
    public async Task ReadinessFollowsRedisWhileLivenessDoesNot()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = "ready-pass" });
        await using var app = await StartAppAsync("Production", new() { ["ConnectionStrings:redis"] = server.ConnectionString });
        var http = app.GetTestClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);

        await server.StopAsync();
        await Eventually(() => !app.Services.GetRequiredService<IConnectionMultiplexer>().IsConnected);
        var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var checks = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");
        Assert.Contains(checks.EnumerateObject(), check => check.Name.Contains("Redis", StringComparison.OrdinalIgnoreCase) && check.Value.GetString() == "Unhealthy");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive")).StatusCode);

        await server.StartAgainAsync();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while ((await http.GetAsync("/health")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "readiness did not recover");
            await Task.Delay(50);
        }
    }

    private static WebApplicationBuilder Builder(string environment, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }

    private static async Task<WebApplication> StartAppAsync(string environment, Dictionary<string, string?> settings)
    {
        var builder = Builder(environment, settings);
        builder.AddServiceDefaults();
        builder.AddSessionRedis();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        return app;
    }
}
