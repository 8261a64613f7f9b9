using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SessionApi.Storage;
using StackExchange.Redis;

namespace SessionApi.Tests.Support;

/// <summary>Redis connections for tests: plain ones to inspect or disturb the server, and the SessionApi's own.</summary>
public static class RedisConnections
{
    /// <summary>A plain connection, for reading or changing what the SessionApi stored (admin commands allowed).</summary>
    public static Task<ConnectionMultiplexer> AdminAsync(string connectionString) =>
        ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true");

    /// <summary>The multiplexer exactly as the SessionApi registers it (<see cref="RedisRegistration.AddSessionRedis"/>), in a host of its own.</summary>
    public static async Task<(IHost Host, IConnectionMultiplexer Redis)> AsTheSessionApiAsync(string connectionString, string environment = "Production",
        Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings ?? []) { ["ConnectionStrings:redis"] = connectionString });
        builder.AddSessionRedis();
        var host = builder.Build();
        await host.StartAsync();
        return (host, host.Services.GetRequiredService<IConnectionMultiplexer>());
    }

    public static async Task Eventually(Func<bool> condition, int seconds = 10)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(seconds), "condition not met in time");
            await Task.Delay(20);
        }
    }

    /// <summary>Retries while Redis is unreachable (up to 10 s).</summary>
    public static async Task<T> UntilItWorks<T>(Func<Task<T>> action)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException && watch.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }
        }
    }
}
