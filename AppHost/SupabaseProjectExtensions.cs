using AppHost.LocalInfrastructure;

namespace AppHost;

internal static class SupabaseProjectExtensions
{
    /// <summary>AppHost setting choosing how minted tokens are signed: HS256 (default) or ES256.</summary>
    private const string JwtAlgorithmSetting = "Gateway:JwtAlgorithm";

    /// <param name="local">Run mode: which local stack and where the emulator listens; null in publish mode.</param>
    public static SupabaseProject AddSupabaseProject(this IDistributedApplicationBuilder builder,
        (LocalInfrastructureMode Mode, LocalInfrastructureSettings Settings)? local)
    {
        var runMode = builder.ExecutionContext.IsRunMode;

        // `supabase start` runs from the repo root (which holds supabase/config.toml), starts the containers and
        // EXITS; the containers keep running until `supabase stop`. A second start while they run exits 0 at once.
        // Only added in run mode, so the publish manifest never contains it (nor the emulator).
        var cliStack = local?.Mode == LocalInfrastructureMode.Containers
            ? builder.AddExecutable("supabase", "supabase", RepoRoot(builder), "start")
            : null;
        var emulator = local is { Mode: LocalInfrastructureMode.Emulator, Settings: var settings }
            ? builder.AddSupabaseEmulator("supabase-emulator", settings.EmulatorPort)
            : null;
        var hostedUrl = runMode
            ? null
            : builder.AddParameter("supabase-url")
                .WithDescription("Your hosted Supabase project's API URL, e.g. https://<project-ref>.supabase.co");

        var anonKey = builder.AddSupabaseSecret("supabase-anon-key", SupabaseLocalKeys.AnonKey,
            "The project's anon (or publishable) API key.");
        var serviceKey = builder.AddSupabaseSecret("supabase-service-key", SupabaseLocalKeys.ServiceRoleKey,
            "The project's service_role (or secret) API key; only the SessionApi gets it.");

        return new SupabaseProject(cliStack, emulator, hostedUrl, anonKey, serviceKey, builder.AddTokenSigningKeys());
    }

    /// <summary>
    /// Supabase URL and keys for a service; in run mode the service also waits for `supabase start` to finish, or for
    /// the emulator to be healthy.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSupabase(
        this IResourceBuilder<ProjectResource> service, SupabaseProject supabase, bool includeServiceKey = false)
    {
        if (supabase.HostedUrl is { } hostedUrl)
        {
            service.WithEnvironment("Supabase__Url", hostedUrl);
        }
        else if (supabase.Emulator is { } emulator)
        {
            service.WithEnvironment("Supabase__Url", emulator.GetEndpoint("http")).WaitFor(emulator);
        }
        else
        {
            service.WithEnvironment("Supabase__Url", SupabaseProject.LocalApiUrl);
        }
        service.WithEnvironment("Supabase__AnonKey", supabase.AnonKey);
        if (includeServiceKey)
        {
            service.WithEnvironment("Supabase__ServiceKey", supabase.ServiceKey);
        }
        if (supabase.CliStack is { } cliStack)
        {
            // WaitFor would fail once the CLI exits ("Finished"); completion with exit code 0 is what we need.
            service.WaitForCompletion(cliStack);
        }
        return service;
    }

    public static IResourceBuilder<ProjectResource> WithTokenSigning(this IResourceBuilder<ProjectResource> sessionApi, TokenSigningKeys signing)
    {
        if (signing.JwtSecret is { } secret)
        {
            sessionApi.WithEnvironment("Jwt__Secret", secret);
        }
        if (signing.SigningKeyPem is { } signingKey)
        {
            sessionApi.WithEnvironment("Jwt__SigningKeyPem", signingKey);
        }
        if (signing.KeyId is { } keyId)
        {
            sessionApi.WithEnvironment("Jwt__KeyId", keyId);
        }
        return sessionApi;
    }

    private static TokenSigningKeys AddTokenSigningKeys(this IDistributedApplicationBuilder builder)
    {
        var algorithm = builder.Configuration[JwtAlgorithmSetting] ?? "HS256";
        return algorithm.ToUpperInvariant() switch
        {
            "HS256" => new TokenSigningKeys(
                builder.AddSupabaseSecret("supabase-jwt-secret", SupabaseLocalKeys.JwtSecret,
                    "The project's JWT secret (legacy HS256 secret; at least 32 characters)."),
                null, null),
            "ES256" => new TokenSigningKeys(
                null,
                builder.AddSupabaseSecret("supabase-jwt-signing-key", localDefault: null,
                    "PEM (PKCS#8) of the P-256 private key you imported into the project's JWT signing keys."),
                builder.AddParameter("supabase-jwt-key-id")
                    .WithDescription("The kid Supabase shows for that imported signing key.")),
            _ => throw new InvalidOperationException(
                $"AppHost setting '{JwtAlgorithmSetting}' must be 'HS256' (project JWT secret) or 'ES256' (imported signing key), not '{algorithm}'."),
        };
    }

    /// <summary>
    /// A secret parameter. Run mode: configuration <c>Parameters:&lt;name&gt;</c> (user secrets, environment) wins, else
    /// the CLI's well-known LOCAL value. Publish mode: no default, so azd asks for the hosted project's value.
    /// </summary>
    private static IResourceBuilder<ParameterResource> AddSupabaseSecret(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, string? localDefault, string description)
    {
        var parameter = builder.ExecutionContext.IsRunMode && localDefault is { } fallback
            ? builder.AddParameter(name, () => builder.Configuration[$"Parameters:{name}"] ?? fallback, secret: true)
            : builder.AddParameter(name, secret: true);
        return parameter.WithDescription(description);
    }

    /// <summary>The folder that holds supabase/config.toml: the repo root, one level above the AppHost project.</summary>
    private static string RepoRoot(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
}
