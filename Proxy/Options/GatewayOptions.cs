namespace Proxy.Options;

/// <summary>Gateway:* — the Proxy's own settings, bound once and checked at startup by <see cref="GatewayOptionsValidator"/>.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    public string SessionApiUrl { get; set; } = "http://sessionapi";

    public string SessionApiKey { get; set; } = "";

    public string SampleWebUrl { get; set; } = "http://sampleweb";

    /// <summary>Origins browsers use to reach the Proxy (CSRF, websocket Origin, redirect allow-list).</summary>
    public string[] PublicOrigins { get; set; } = [];

    public string CookieName { get; set; } = "sb-session";

    /// <summary>Renew a cached token when less than this remains (at most 20 % of the token's lifetime).</summary>
    public TimeSpan TokenRenewalMargin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most sessions kept in memory (about 2 KB each: minted token, identity assertion, user object).</summary>
    public int SessionCacheSize { get; set; } = 100_000;

    /// <summary>Seconds to wait for Supabase or SampleWeb before answering 504 upstream_timeout.</summary>
    public int UpstreamTimeoutSeconds { get; set; } = 100;

    /// <summary>Gateway:RateLimits — per client IP and per session, counted in Redis across Proxy instances.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Gateway:Limits — header, cookie, body and JSON limits.</summary>
    public RequestLimitOptions Limits { get; set; } = new();

    /// <summary>Gateway:Ingress — whether X-Forwarded-* from the ingress are trusted.</summary>
    public IngressOptions Ingress { get; set; } = new();

    /// <summary>
    /// Gateway:AllowedRedirectUrls — where GoTrue may send the browser after OAuth, email links and OTP
    /// (<c>redirect_to</c>), beyond the public origins, which are always allowed. Supabase-style globs: <c>*</c>
    /// matches within one host label or path segment, <c>**</c> matches anything, e.g. <c>http://localhost:5080/**</c>.
    /// </summary>
    public string[] AllowedRedirectUrls { get; set; } = [];

    /// <summary>Gateway:Realtime — limits and timings of the websocket relay.</summary>
    public Realtime.RealtimeRelayOptions Realtime { get; set; } = new();

    /// <summary>Gateway:UserWebhook — the auth.users change webhook (off without a secret).</summary>
    public Webhooks.UserWebhookOptions UserWebhook { get; set; } = new();

    /// <summary>The forwarding timeout (UpstreamTimeoutSeconds): YARP's activity timeout and GoTrue calls' HttpClient timeout.</summary>
    public TimeSpan UpstreamTimeout => TimeSpan.FromSeconds(UpstreamTimeoutSeconds);

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
        if (o.SessionCacheSize is < 100 or > 10_000_000)
        {
            return "Setting 'Gateway:SessionCacheSize' must be between 100 and 10000000.";
        }
        if (o.UpstreamTimeoutSeconds is < 1 or > 3600)
        {
            return "Setting 'Gateway:UpstreamTimeoutSeconds' must be between 1 and 3600.";
        }
        for (var i = 0; i < o.AllowedRedirectUrls.Length; i++)
        {
            if (Auth.RedirectPattern.Parse(o.AllowedRedirectUrls[i] ?? "", out var problem) is null)
            {
                return $"Setting 'Gateway:AllowedRedirectUrls:{i}' has '{o.AllowedRedirectUrls[i]}', which is not a redirect URL pattern such as https://app.example.com/** ({problem}).";
            }
        }
        return o.Realtime.Problem() ?? Webhooks.UserWebhookOptions.Problem(o.UserWebhook);
    }

    internal static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}

/// <summary>Supabase:* — the upstream project, bound once and checked at startup by <see cref="SupabaseOptionsValidator"/>.</summary>
public sealed class SupabaseOptions
{
    public const string Section = "Supabase";

    /// <summary>The Supabase API gateway (GoTrue, PostgREST, Storage and Realtime behind it).</summary>
    public string Url { get; set; } = "";

    private string _anonKey = "";
    private string? _anonBearer;

    /// <summary>The project's anon or publishable key, sent as apikey.</summary>
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

    /// <summary>Startup checks that name the setting at fault; returns the first problem or null.</summary>
    public static string? Problem(SupabaseOptions o)
    {
        if (!GatewayOptions.IsHttpUrl(o.Url))
        {
            return "Setting 'Supabase:Url' must be an absolute http(s) URL such as http://127.0.0.1:54321 (the Supabase API URL).";
        }
        if (string.IsNullOrWhiteSpace(o.AnonKey))
        {
            return "Setting 'Supabase:AnonKey' is required (the project's anon or publishable key, sent as apikey).";
        }
        return null;
    }
}
