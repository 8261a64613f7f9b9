using System.ComponentModel.DataAnnotations;

namespace Proxy.Options;

/// <summary>Gateway:* — the Proxy's own settings.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    public string SessionApiUrl { get; set; } = "http://sessionapi";

    [Required(ErrorMessage = "Setting 'Gateway:SessionApiKey' is required (the SessionApi's caller key).")]
    public string SessionApiKey { get; set; } = "";

    public string SampleWebUrl { get; set; } = "http://sampleweb";

    /// <summary>Origins browsers use to reach the Proxy (CSRF, websocket Origin, redirect allow-list).</summary>
    [MinLength(1, ErrorMessage = "Setting 'Gateway:PublicOrigins' needs at least one origin, e.g. Gateway__PublicOrigins__0=https://app.example.com.")]
    public string[] PublicOrigins { get; set; } = [];

    public string CookieName { get; set; } = "sb-session";

    /// <summary>Renew a cached token when less than this remains (capped at half the token's lifetime).</summary>
    public TimeSpan TokenRenewalMargin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest request body accepted on auth endpoints (GoTrue's own limit is 1 MB).</summary>
    public int MaxAuthBodyBytes { get; set; } = 1024 * 1024;
}

/// <summary>Supabase:* — the upstream project.</summary>
public sealed class SupabaseUpstreamOptions
{
    public const string Section = "Supabase";

    [Required(ErrorMessage = "Setting 'Supabase:Url' is required (the Supabase API URL, e.g. http://127.0.0.1:54321).")]
    [Url(ErrorMessage = "Setting 'Supabase:Url' must be an absolute URL.")]
    public string Url { get; set; } = "";

    [Required(ErrorMessage = "Setting 'Supabase:AnonKey' is required (the project's anon or publishable key, sent as apikey).")]
    public string AnonKey { get; set; } = "";
}
