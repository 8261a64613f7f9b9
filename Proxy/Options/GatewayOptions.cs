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

    /// <summary>Renew a cached token when less than this remains (at most 20 % of the token's lifetime).</summary>
    public TimeSpan TokenRenewalMargin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most sessions kept in memory (about 2 KB each: minted token, identity assertion, user object).</summary>
    [Range(100, 10_000_000, ErrorMessage = "Setting 'Gateway:SessionCacheSize' must be between 100 and 10000000.")]
    public int SessionCacheSize { get; set; } = 100_000;

    /// <summary>Seconds to wait for Supabase or SampleWeb before answering 504 upstream_timeout.</summary>
    [Range(1, 3600, ErrorMessage = "Setting 'Gateway:UpstreamTimeoutSeconds' must be between 1 and 3600.")]
    public int UpstreamTimeoutSeconds { get; set; } = Forwarding.UpstreamErrorResponses.DefaultTimeoutSeconds;

    /// <summary>Gateway:RateLimits — per client IP and per session, counted in Redis across Proxy instances.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Gateway:Limits — header, cookie, body and JSON limits.</summary>
    public RequestLimitOptions Limits { get; set; } = new();

    /// <summary>Gateway:Ingress — whether X-Forwarded-* from the ingress are trusted.</summary>
    public IngressOptions Ingress { get; set; } = new();

    /// <summary>Startup checks that name the setting at fault; returns the first problem or null.</summary>
    public static string? Problem(GatewayOptions o)
    {
        if (!IsHttpUrl(o.SessionApiUrl))
        {
            return "Setting 'Gateway:SessionApiUrl' must be an absolute http(s) URL such as http://sessionapi.";
        }
        if (!IsHttpUrl(o.SampleWebUrl))
        {
            return "Setting 'Gateway:SampleWebUrl' must be an absolute http(s) URL such as http://sampleweb.";
        }
        if (string.IsNullOrWhiteSpace(o.SessionApiKey))
        {
            return "Setting 'Gateway:SessionApiKey' is required (the SessionApi's caller key).";
        }
        if (o.PublicOrigins.Length == 0)
        {
            return "Setting 'Gateway:PublicOrigins' needs at least one origin, e.g. Gateway__PublicOrigins__0=https://app.example.com.";
        }
        if (o.PublicOrigins.FirstOrDefault(origin => Security.OriginPolicy.Normalize(origin) is null) is { } bad)
        {
            return $"Setting 'Gateway:PublicOrigins' has '{bad}', which is not an origin such as https://app.example.com (scheme, host, optional port; no path).";
        }
        if (string.IsNullOrEmpty(o.CookieName) || o.CookieName.Length > 64 || !o.CookieName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            || o.CookieName.StartsWith("__", StringComparison.Ordinal))
        {
            return "Setting 'Gateway:CookieName' must be 1-64 letters, digits, '-' or '_' and must not start with '__' (the __Host- prefix is added on HTTPS).";
        }
        if ((o.RateLimits.Problem() ?? o.Limits.Problem()) is { } limits)
        {
            return limits;
        }
        if (o.TokenRenewalMargin <= TimeSpan.Zero)
        {
            return "Setting 'Gateway:TokenRenewalMargin' must be positive, e.g. 00:01:00.";
        }
        return null;
    }

    internal static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}

/// <summary>Supabase:* — the upstream project.</summary>
public sealed class SupabaseUpstreamOptions
{
    public const string Section = "Supabase";

    [Required(ErrorMessage = "Setting 'Supabase:Url' is required (the Supabase API URL, e.g. http://127.0.0.1:54321).")]
    public string Url { get; set; } = "";

    private string _anonKey = "";
    private string? _anonBearer;

    [Required(ErrorMessage = "Setting 'Supabase:AnonKey' is required (the project's anon or publishable key, sent as apikey).")]
    public string AnonKey
    {
        get => _anonKey;
        set
        {
            _anonKey = value;
            _anonBearer = null;
        }
    }

    /// <summary>"Bearer &lt;anon key&gt;": the Authorization of anonymous upstream requests, built once rather than per request.</summary>
    public string AnonBearer => _anonBearer ??= "Bearer " + _anonKey;
}
