using Microsoft.Extensions.Options;
using TestSupport;

namespace SupabaseEmulator;

/// <summary>Emulator:* — how the fake Supabase behaves. Defaults are the Supabase CLI's local values (docs/supabase-contract.md §5).</summary>
public sealed class EmulatorOptions
{
    public const string Section = "Emulator";

    /// <summary>HS256 project secret: signs user tokens and the anon/service_role keys.</summary>
    public string JwtSecret { get; set; } = LocalSupabaseKeys.JwtSecret;

    /// <summary>Legacy anon key (a JWT) the gateway forwards for the publishable key.</summary>
    public string AnonKey { get; set; } = LocalSupabaseKeys.AnonKey;

    /// <summary>Legacy service_role key (a JWT) the gateway forwards for the secret key.</summary>
    public string ServiceKey { get; set; } = LocalSupabaseKeys.ServiceRoleKey;

    public string PublishableKey { get; set; } = LocalSupabaseKeys.PublishableKey;

    public string SecretKey { get; set; } = LocalSupabaseKeys.SecretKey;

    /// <summary>JWT "iss"; default "&lt;own base URL&gt;/auth/v1" (what the CLI configures).</summary>
    public string? Issuer { get; set; }

    /// <summary>GoTrue's public URL (API_EXTERNAL_URL): base of the OAuth callback and of email links; default "&lt;own base URL&gt;/auth/v1".</summary>
    public string? ExternalUrl { get; set; }

    public int AccessTokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>GOTRUE_MAILER_AUTOCONFIRM: sign-up returns a session instead of mailing a confirmation link.</summary>
    public bool Autoconfirm { get; set; } = true;

    public bool EnableSignup { get; set; } = true;

    public bool EnableAnonymousSignIns { get; set; }

    public int MinimumPasswordLength { get; set; } = 6;

    public int RefreshReuseIntervalSeconds { get; set; } = 10;

    /// <summary>Lifetime of email OTPs and links (CLI otp_expiry).</summary>
    public int OtpLifetimeSeconds { get; set; } = 3600;

    /// <summary>Lifetime of a PKCE flow (GoTrue: 5 minutes).</summary>
    public int FlowStateLifetimeSeconds { get; set; } = 300;

    public string SiteUrl { get; set; } = "http://127.0.0.1:3000";

    /// <summary>Allowed redirect_to values; "*" matches within one path segment or host label, "**" matches anything.</summary>
    public string[] AdditionalRedirectUrls { get; set; } = [];

    /// <summary>Secret the fake OAuth/OIDC provider "emulator" signs its id tokens with.</summary>
    public string OAuthProviderSecret { get; set; } = "emulator-oauth-provider-secret-for-tests-only";

    /// <summary>schema.sql to apply on start; default the repository's.</summary>
    public string? SchemaPath { get; set; }

    /// <summary>Create the documented demo users on start (see README.md).</summary>
    public bool SeedUsers { get; set; } = true;
}

/// <summary>Refuses to start with settings the real services would refuse, naming the setting.</summary>
public sealed class EmulatorOptionsValidator : IValidateOptions<EmulatorOptions>
{
    public ValidateOptionsResult Validate(string? name, EmulatorOptions options)
    {
        var failures = new List<string>();
        if (options.JwtSecret is not { Length: >= 32 })
        {
            failures.Add("Emulator:JwtSecret must be at least 32 characters (PostgREST refuses shorter secrets).");
        }
        if (options.AccessTokenLifetimeSeconds is < 1 or > 604800)
        {
            failures.Add("Emulator:AccessTokenLifetimeSeconds must be between 1 and 604800.");
        }
        if (options.RefreshReuseIntervalSeconds < 0)
        {
            failures.Add("Emulator:RefreshReuseIntervalSeconds must not be negative.");
        }
        if (options.MinimumPasswordLength < 1)
        {
            failures.Add("Emulator:MinimumPasswordLength must be at least 1.");
        }
        if (options.OtpLifetimeSeconds < 1 || options.FlowStateLifetimeSeconds < 1)
        {
            failures.Add("Emulator:OtpLifetimeSeconds and Emulator:FlowStateLifetimeSeconds must be positive.");
        }
        if (!Uri.TryCreate(options.SiteUrl, UriKind.Absolute, out _))
        {
            failures.Add($"Emulator:SiteUrl must be an absolute URL (got '{options.SiteUrl}').");
        }
        foreach (var (setting, value) in new[] { ("Issuer", options.Issuer), ("ExternalUrl", options.ExternalUrl) })
        {
            if (value is not null && !Uri.TryCreate(value, UriKind.Absolute, out _))
            {
                failures.Add($"Emulator:{setting} must be an absolute URL when set (got '{value}').");
            }
        }
        foreach (var (setting, value) in new[] { ("AnonKey", options.AnonKey), ("ServiceKey", options.ServiceKey), ("PublishableKey", options.PublishableKey), ("SecretKey", options.SecretKey) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                failures.Add($"Emulator:{setting} must not be empty.");
            }
        }
        if (options.SchemaPath is not null && !File.Exists(options.SchemaPath))
        {
            failures.Add($"Emulator:SchemaPath '{options.SchemaPath}' does not exist.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
