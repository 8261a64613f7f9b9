using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AppHost.LocalInfrastructure;

internal static class RedisServerExtensions
{
    /// <summary>
    /// redis-server on loopback with the same durability as the container and the test fixture: the append-only file
    /// fsynced on every write, so a killed Redis comes back with every session it confirmed. The data directory is
    /// kept between runs (sessions survive an AppHost restart).
    /// </summary>
    public static IResourceBuilder<RedisServerResource> AddRedisServer(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var resource = new RedisServerResource(name, dataDirectory);
        var healthCheckKey = $"{name}-ping";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new RedisPingHealthCheck(resource.Endpoint), failureStatus: null, tags: null));

        return builder.AddResource(resource)
            // DCP picks the port the process listens on (target port) and proxies a stable one in front of it.
            .WithEndpoint(name: RedisServerResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--port");
                context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--dir");
                context.Args.Add(dataDirectory);
                foreach (var option in (string[])["--appendonly", "yes", "--appendfsync", "always", "--save", "5 1", "--protected-mode", "yes"])
                {
                    context.Args.Add(option);
                }
            })
            .WithHealthCheck(healthCheckKey)
            .ExcludeFromManifest();
    }
}
