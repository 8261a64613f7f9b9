using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SessionApi.Redis;

public static class RedisServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IRedisClient"/> from ConnectionStrings:redis (StackExchange.Redis format) and a "redis"
    /// readiness check. In Development the ASP.NET dev certificate Aspire's local Redis uses for TLS is accepted.
    /// </summary>
    public static IHostApplicationBuilder AddRedisClient(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("redis");
        RedisConnectionOptions options;
        try
        {
            options = RedisConnectionOptions.Parse(connectionString ?? "");
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException(
                $"Setting 'ConnectionStrings:redis' (env ConnectionStrings__redis) is missing or invalid: {e.Message} " +
                "Expected e.g. 'localhost:6379,password=...,ssl=false'.", e);
        }
        options = options with
        {
            AllowUntrustedCertificate = builder.Environment.IsDevelopment() || builder.Configuration.GetValue<bool>("Redis:AllowUntrustedCertificate"),
            AbortConnect = false,
        };
        builder.Services.AddSingleton<IRedisClient>(sp =>
            RedisClient.ConnectAsync(options, sp.GetRequiredService<ILoggerFactory>()).GetAwaiter().GetResult());
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        return builder;
    }
}

internal sealed class RedisHealthCheck(IRedisClient redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.ExecuteAsync("PING", [], cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is RedisConnectionException or RedisServerException)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }
}
