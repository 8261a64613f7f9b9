using Microsoft.Extensions.Configuration;

namespace AppHost;

internal static class GatewayServiceExtensions
{
    /// <summary>
    /// One of our ASP.NET Core services. They ship no launch profiles, so the endpoint, environment and health check
    /// are all declared here (launch profiles are excluded explicitly: a later launchSettings.json cannot add a second
    /// "http" endpoint behind our back).
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddGatewayService<TProject>(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, int? localPort = null)
        where TProject : IProjectMetadata, new()
    {
        var runMode = builder.ExecutionContext.IsRunMode;
        var service = builder.AddProject<TProject>(name, launchProfileName: null)
            .WithHttpEndpoint(port: runMode ? localPort : null)
            .WithHttpHealthCheck("/health");
        if (runMode)
        {
            // What `dotnet run` would do (DCP does not pass the AppHost's environment name on). Development also makes
            // the SessionApi trust the ASP.NET Core development certificate a local Redis container may serve TLS with.
            service.WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName);
        }
        return service;
    }

    /// <summary>
    /// Several instances when deployed (Container Apps replicas; <c>Gateway:PublishedReplicas</c> in the AppHost's
    /// settings, default 2), one when run locally. Instances share nothing but Redis (sessions, locks, rate-limit
    /// budgets, nonces, revocation events) and the keys given as parameters, so any of them can serve any request.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPublishedReplicas(this IResourceBuilder<ProjectResource> service)
    {
        var builder = service.ApplicationBuilder;
        if (!builder.ExecutionContext.IsPublishMode)
        {
            return service;
        }
        var replicas = builder.Configuration.GetValue("Gateway:PublishedReplicas", DefaultPublishedReplicas);
        if (replicas < 1)
        {
            throw new InvalidOperationException($"Setting 'Gateway:PublishedReplicas' must be at least 1 (it is {replicas}).");
        }
        // The manifest's project.v0 entry has no replica count (Aspire writes ReplicaAnnotation only to its local
        // orchestrator): write the entry as Aspire does and add "replicas", so the deployed scale is declared and checked
        // (Tests/AppHost.Tests/PublishManifestTests). docs/deploy-azure.md says how it reaches Container Apps.
        return service.WithReplicas(replicas).WithManifestPublishingCallback(async context =>
        {
            var resource = service.Resource;
            context.Writer.WriteString("type", "project.v0");
            context.Writer.WriteString("path", context.GetManifestRelativePath(resource.GetProjectMetadata().ProjectPath));
            await context.WriteCommandLineArgumentsAsync(resource);
            await context.WriteEnvironmentVariablesAsync(resource);
            context.WriteBindings(resource);
            context.Writer.WriteNumber("replicas", replicas);
        });
    }

    private const int DefaultPublishedReplicas = 2;

    /// <summary>
    /// Gateway:PublicOrigins (CSRF, websocket Origin and redirect allow-list) = the Proxy's own endpoint, so the
    /// value follows whatever port or host Aspire assigns.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithPublicOrigins(this IResourceBuilder<ProjectResource> proxy)
    {
        var endpoint = proxy.GetEndpoint("http");
        if (proxy.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            // Both loopback spellings of the Proxy's port: the endpoint says localhost, and 127.0.0.1 is the site URL
            // and redirect target in supabase/config.toml (and what the emulator is given).
            return proxy
                .WithEnvironment("Gateway__PublicOrigins__0", ReferenceExpression.Create($"http://localhost:{endpoint.Property(EndpointProperty.Port)}"))
                .WithEnvironment("Gateway__PublicOrigins__1", ReferenceExpression.Create($"http://127.0.0.1:{endpoint.Property(EndpointProperty.Port)}"));
        }
        // Azure Container Apps serve an external endpoint over HTTPS on the app's FQDN (plain http is redirected);
        // the binding's own URL would say http://, which is not the origin browsers send.
        // Their ingress is the only way in and appends X-Forwarded-For/-Proto: the client address and HTTPS (HSTS) come from it.
        return proxy.WithEnvironment("Gateway__Ingress__TrustForwardedHeaders", "true")
            .WithEnvironment("Gateway__PublicOrigins__0", ReferenceExpression.Create($"https://{endpoint.Property(EndpointProperty.Host)}"));
    }
}
