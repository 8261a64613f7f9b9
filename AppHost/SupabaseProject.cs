namespace AppHost;

/// <summary>
/// The Supabase project every service talks to. Run mode: the local stack the Supabase CLI starts from the repo's
/// <c>supabase/</c> folder (containers mode) or the in-repo Supabase emulator (emulator mode), both with the CLI's
/// well-known local keys as defaults. Publish mode: a hosted project whose URL and keys are parameters without
/// defaults (azd asks for them, or reads <c>infra.parameters.&lt;name&gt;</c>).
/// </summary>
internal sealed record SupabaseProject(
    IResourceBuilder<ExecutableResource>? CliStack,
    IResourceBuilder<ProjectResource>? Emulator,
    IResourceBuilder<ParameterResource>? HostedUrl,
    IResourceBuilder<ParameterResource> AnonKey,
    IResourceBuilder<ParameterResource> ServiceKey,
    TokenSigningKeys Signing)
{
    /// <summary>The local API gateway (supabase/config.toml [api] port).</summary>
    public const string LocalApiUrl = "http://127.0.0.1:54321";

    public const int LocalApiPort = 54321;

    /// <summary>The Proxy's local port: supabase/config.toml names http://127.0.0.1:5080 as site URL and redirect target.</summary>
    public const int LocalSitePort = 5080;
}

/// <summary>
/// How the SessionApi signs the tokens it mints for Supabase: the project's JWT secret (HS256, no kid; the local CLI
/// stack's default), or an ES256 private key imported into the project's signing keys, with its kid.
/// </summary>
internal sealed record TokenSigningKeys(
    IResourceBuilder<ParameterResource>? JwtSecret,
    IResourceBuilder<ParameterResource>? SigningKeyPem,
    IResourceBuilder<ParameterResource>? KeyId);

/// <summary>
/// The Supabase CLI's fixed keys for its LOCAL stack (CLI pkg/config/apikeys.go; printed by <c>supabase status -o env</c>).
/// They are public, identical on every machine and accepted only by <c>supabase start</c>'s containers: never use
/// them for a hosted project (publish mode has no defaults at all).
/// </summary>
internal static class SupabaseLocalKeys
{
    public const string JwtSecret = "super-secret-jwt-token-with-at-least-32-characters-long";

    public const string AnonKey =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";

    public const string ServiceRoleKey =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";
}
