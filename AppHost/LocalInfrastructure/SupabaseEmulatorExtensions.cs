namespace AppHost.LocalInfrastructure;

internal static class SupabaseEmulatorExtensions
{
    /// <summary>
    /// The in-repo Supabase emulator (GoTrue, PostgREST, Realtime over a PostgreSQL it starts and deletes itself) on
    /// the port where `supabase start` serves its API, with the CLI's local keys (its defaults) and the repo's
    /// schema.sql. Run mode only: it is never part of a deployment.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddSupabaseEmulator(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, int port)
    {
        if (!builder.ExecutionContext.IsRunMode)
        {
            throw new InvalidOperationException("The Supabase emulator is a local development tool; publish mode uses a hosted Supabase project.");
        }
        // Not proxied: the emulator itself listens on the port, so the URLs it derives from its own address (JWT
        // issuer, OAuth callback) are the ones the services call.
        return builder.AddProject<Projects.SupabaseEmulator>(name, launchProfileName: null)
            .WithHttpEndpoint(port: port, isProxied: false)
            .WithHttpHealthCheck("/auth/v1/health")
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
            .WithEnvironment("Emulator__SchemaPath", Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "schema.sql")))
            .WithIconName("BeakerEdit")
            .ExcludeFromManifest();
    }

    /// <summary>
    /// Browsers only ever talk to the Proxy, so GoTrue's site URL, redirect allow-list and external URL (base of email
    /// links and the OAuth callback) are the Proxy's origins, as supabase/config.toml sets them for the CLI stack.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithLinksThrough(
        this IResourceBuilder<ProjectResource> emulator, IResourceBuilder<ProjectResource> proxy)
    {
        var port = proxy.GetEndpoint("http").Property(EndpointProperty.Port);
        return emulator
            .WithEnvironment("Emulator__SiteUrl", ReferenceExpression.Create($"http://127.0.0.1:{port}"))
            .WithEnvironment("Emulator__AdditionalRedirectUrls__0", ReferenceExpression.Create($"http://127.0.0.1:{port}/**"))
            .WithEnvironment("Emulator__AdditionalRedirectUrls__1", ReferenceExpression.Create($"http://localhost:{port}/**"))
            .WithEnvironment("Emulator__ExternalUrl", ReferenceExpression.Create($"http://127.0.0.1:{port}/supabase/auth/v1"));
    }
}
