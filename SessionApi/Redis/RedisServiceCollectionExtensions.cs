using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SessionApi.Redis;

public static class RedisServiceCollectionExtensions
{
    public const string ConnectionStringName = "redis";
    public const string SettingsSection = "Redis";

    /// <inheritdoc cref="AddRedisClient(IServiceCollection, IConfiguration)"/>
    public static IHostApplicationBuilder AddRedisClient(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRedisClient(builder.Configuration);
        return builder;
    }

    /// <summary>
    /// Registers <see cref="IRedisClient"/> from <c>ConnectionStrings:redis</c> (StackExchange.Redis format, as Aspire injects
    /// it) and a "redis" health check tagged "ready". A missing or invalid connection string stops startup here, with a
    /// message naming the setting.
    /// TLS trust, beyond the machine's trust store:
    /// <list type="bullet">
    /// <item><c>Redis:CaCertificatePath</c>: PEM file of the CA that issued the server certificate (any environment).</item>
    /// <item><c>Redis:TrustDevCertificate</c> (default true in Development): accept the ASP.NET Core development
    /// certificate, which Aspire 13.1's local Redis serves. Ignored outside Development.</item>
    /// <item><c>Redis:AllowUntrustedCertificate</c>: accept any certificate. Ignored (with a warning) outside Development.</item>
    /// </list>
    /// The service never aborts on a Redis outage: it starts, reports not ready, and reconnects in the background.
    /// </summary>
    public static IServiceCollection AddRedisClient(this IServiceCollection services, IConfiguration configuration)
    {
        var options = ReadOptions(configuration);
        services.AddSingleton<IRedisClient>(sp =>
        {
            var environment = sp.GetRequiredService<IHostEnvironment>();
            var loggerFactory = sp.GetRequiredService<ILoggerFactory>();
            var development = environment.IsDevelopment();
            if (!development && options.AllowUntrustedCertificate)
            {
                loggerFactory.CreateLogger<RedisClient>().LogWarning(
                    "'{Setting}' is ignored outside Development; the Redis server certificate must be trusted", $"{SettingsSection}:AllowUntrustedCertificate");
            }
            var effective = options with
            {
                AllowUntrustedCertificate = development && options.AllowUntrustedCertificate,
                TrustDevCertificate = development && (configuration.GetValue<bool?>($"{SettingsSection}:TrustDevCertificate") ?? true),
            };
            return RedisClient.ConnectAsync(effective, loggerFactory).GetAwaiter().GetResult();
        });
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
        return services;
    }

    private static RedisConnectionOptions ReadOptions(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        RedisConnectionOptions options;
        try
        {
            options = RedisConnectionOptions.Parse(connectionString ?? "");
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException(
                $"Setting 'ConnectionStrings:{ConnectionStringName}' (env ConnectionStrings__{ConnectionStringName}) is missing or invalid: {e.Message} " +
                "Expected e.g. 'localhost:6379,password=...,ssl=false' or 'redis://localhost:6379/0'.", e);
        }
        var caPath = configuration[$"{SettingsSection}:CaCertificatePath"];
        if (!string.IsNullOrWhiteSpace(caPath) && !File.Exists(caPath))
        {
            throw new InvalidOperationException($"Setting '{SettingsSection}:CaCertificatePath' names a file that does not exist: '{caPath}'.");
        }
        return options with
        {
            AbortConnect = false,
            AllowUntrustedCertificate = configuration.GetValue<bool>($"{SettingsSection}:AllowUntrustedCertificate"),
            CaCertificatePath = string.IsNullOrWhiteSpace(caPath) ? null : caPath,
        };
    }
}

/// <summary>Ready while the command connection is up and answers PING.</summary>
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
