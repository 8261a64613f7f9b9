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
