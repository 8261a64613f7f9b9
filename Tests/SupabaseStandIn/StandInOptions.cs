using TestSupport;

namespace SupabaseStandIn;

/// <summary>StandIn:* — behaviour of the fake Supabase. Defaults are the Supabase CLI's local values.</summary>
public sealed class StandInOptions
{
    public string JwtSecret { get; set; } = LocalSupabaseKeys.JwtSecret;
    public string AnonKey { get; set; } = LocalSupabaseKeys.AnonKey;
    public string ServiceKey { get; set; } = LocalSupabaseKeys.ServiceRoleKey;
    public string PublishableKey { get; set; } = LocalSupabaseKeys.PublishableKey;
    public string SecretKey { get; set; } = LocalSupabaseKeys.SecretKey;

    /// <summary>JWT "iss"; default "&lt;own base URL&gt;/auth/v1".</summary>
    public string? Issuer { get; set; }

    public int AccessTokenLifetimeSeconds { get; set; } = 3600;
    public bool Autoconfirm { get; set; } = true;
    public int RefreshReuseIntervalSeconds { get; set; } = 10;
    public string SiteUrl { get; set; } = "http://127.0.0.1:3000";
    public string[] AdditionalRedirectUrls { get; set; } = [];
}
