using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace SessionApi.Options;

/// <summary>Jwt:* — how tokens for Supabase are signed. Exactly one of Secret (HS256) or SigningKeyPem + KeyId (ES256).</summary>
public sealed class JwtOptions
{
    public const string Section = "Jwt";

    /// <summary>The project's JWT secret (HS256, no kid: what the local CLI stack's PostgREST accepts).</summary>
    public string? Secret { get; set; }

    /// <summary>A P-256 private key (PEM) imported into the project's signing keys.</summary>
    public string? SigningKeyPem { get; set; }

    public string? KeyId { get; set; }

    public int LifetimeSeconds { get; set; } = 300;
}

/// <summary>Identity:* — the ES256 key for the identity assertions SampleWeb verifies.</summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    public string? SigningKeyPem { get; set; }

    public string? KeyId { get; set; }
}

internal sealed class JwtOptionsValidator : IValidateOptions<JwtOptions>
{
    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        var hasSecret = !string.IsNullOrEmpty(options.Secret);
        var hasKey = !string.IsNullOrEmpty(options.SigningKeyPem);
        if (hasSecret == hasKey)
        {
            return ValidateOptionsResult.Fail("Set exactly one of 'Jwt:Secret' (HS256 project JWT secret) or 'Jwt:SigningKeyPem' + 'Jwt:KeyId' (ES256 key imported into Supabase).");
        }
        if (hasSecret && options.Secret!.Length < 32)
        {
            return ValidateOptionsResult.Fail("Setting 'Jwt:Secret' must be at least 32 characters (PostgREST refuses shorter secrets).");
        }
        if (hasKey)
        {
            if (string.IsNullOrWhiteSpace(options.KeyId))
            {
                return ValidateOptionsResult.Fail("Setting 'Jwt:KeyId' is required with 'Jwt:SigningKeyPem' (the kid of the key imported into Supabase).");
            }
            if (!PemKeys.TryLoadP256(options.SigningKeyPem!, out var error))
            {
                return ValidateOptionsResult.Fail($"Setting 'Jwt:SigningKeyPem' is not a P-256 private key: {error}");
            }
        }
        if (options.LifetimeSeconds is < 1 or > 3600)
        {
            return ValidateOptionsResult.Fail("Setting 'Jwt:LifetimeSeconds' must be between 1 and 3600.");
        }
        return ValidateOptionsResult.Success;
    }
}

internal sealed class IdentityOptionsValidator : IValidateOptions<IdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityOptions options)
    {
        if (string.IsNullOrEmpty(options.SigningKeyPem))
        {
            return ValidateOptionsResult.Success; // ephemeral key (logged at startup)
        }
        if (string.IsNullOrWhiteSpace(options.KeyId))
        {
            return ValidateOptionsResult.Fail("Setting 'Identity:KeyId' is required with 'Identity:SigningKeyPem'.");
        }
        return PemKeys.TryLoadP256(options.SigningKeyPem, out var error)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Setting 'Identity:SigningKeyPem' is not a P-256 private key: {error}");
    }
}

internal static class PemKeys
{
    public static bool TryLoadP256(string pem, out string error)
    {
        try
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(pem);
            if (key.KeySize != 256)
            {
                error = $"expected a 256-bit curve, got {key.KeySize} bits";
                return false;
            }
            error = "";
            return true;
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            error = e.Message;
            return false;
        }
    }
}
