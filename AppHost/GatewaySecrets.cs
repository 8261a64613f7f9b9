namespace AppHost;

/// <summary>
/// The gateway's own secrets (not Supabase's): the key the Proxy presents to the SessionApi and, in publish mode,
/// the ES256 key the SessionApi signs SampleWeb identity assertions with.
/// </summary>
internal sealed record GatewaySecrets(
    IResourceBuilder<ParameterResource> CallerKey,
    IResourceBuilder<ParameterResource>? IdentityKeyPem,
    IResourceBuilder<ParameterResource>? IdentityKeyId);

internal static class GatewaySecretsExtensions
{
    public static GatewaySecrets AddGatewaySecrets(this IDistributedApplicationBuilder builder)
    {
        // Generated, never well-known: in run mode once and kept in the AppHost's user secrets (persist), in publish
        // mode by azd (stored in the azd environment). Parameters:sessionapi-caller-key overrides it.
        var callerKey = builder.AddParameter("sessionapi-caller-key",
                new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true)
            .WithDescription("Shared secret the Proxy sends to the SessionApi (at least 32 characters).");

        if (builder.ExecutionContext.IsRunMode)
        {
            // Locally the SessionApi uses an ephemeral identity key (it logs a warning); SampleWeb refetches the JWKS
            // when the kid changes, so restarts just work.
            return new GatewaySecrets(callerKey, null, null);
        }

        // Deployed, SessionApi replicas and restarts must share one key, or SampleWeb would reject assertions signed
        // by another replica. The kid is generated once per azd environment; change it whenever you change the key.
        var identityKey = builder.AddParameter("sessionapi-identity-key", secret: true)
            .WithDescription("PEM (PKCS#8) of a P-256 private key for the identity assertions SampleWeb verifies.");
        var identityKeyId = builder.AddParameter("sessionapi-identity-key-id",
                new GenerateParameterDefault { MinLength = 16, Special = false, Upper = false })
            .WithDescription("Key id (kid) published with the identity key; change it whenever the key changes.");
        return new GatewaySecrets(callerKey, identityKey, identityKeyId);
    }

    public static IResourceBuilder<ProjectResource> WithIdentityKey(this IResourceBuilder<ProjectResource> sessionApi, GatewaySecrets secrets)
    {
        if (secrets.IdentityKeyPem is { } pem && secrets.IdentityKeyId is { } keyId)
        {
            sessionApi
                .WithEnvironment("Identity__SigningKeyPem", pem)
                .WithEnvironment("Identity__KeyId", keyId);
        }
        return sessionApi;
    }
}
