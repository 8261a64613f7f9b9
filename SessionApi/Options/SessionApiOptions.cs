using System.ComponentModel.DataAnnotations;

namespace SessionApi.Options;

/// <summary>SessionApi:* — who may call us.</summary>
public sealed class SessionApiOptions
{
    public const string Section = "SessionApi";

    /// <summary>Shared secret the Proxy sends as "Authorization: Bearer …".</summary>
    [Required(ErrorMessage = "Setting 'SessionApi:CallerKey' is required (a shared secret of at least 32 characters that the Proxy sends).")]
    [MinLength(32, ErrorMessage = "Setting 'SessionApi:CallerKey' must be at least 32 characters.")]
    public string CallerKey { get; set; } = "";
}

/// <summary>Sessions:* — lifetimes.</summary>
public sealed class SessionLifetimeOptions
{
    public const string Section = "Sessions";

    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often last-seen is written back (and mirrored); touches in between cost nothing.</summary>
    public TimeSpan TouchInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Refresh the GoTrue session (server-side, inside resolve) when its access token expires within this.</summary>
    public TimeSpan GoTrueRefreshMargin { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>Supabase:* — GoTrue calls (logout) and the sessions table mirror.</summary>
public sealed class SupabaseOptions
{
    public const string Section = "Supabase";

    [Required(ErrorMessage = "Setting 'Supabase:Url' is required (the Supabase API URL, e.g. http://127.0.0.1:54321).")]
    [Url(ErrorMessage = "Setting 'Supabase:Url' must be an absolute URL.")]
    public string Url { get; set; } = "";

    [Required(ErrorMessage = "Setting 'Supabase:AnonKey' is required (the project's anon or publishable key).")]
    public string AnonKey { get; set; } = "";

    [Required(ErrorMessage = "Setting 'Supabase:ServiceKey' is required (service_role key, used to mirror sessions into the sessions table).")]
    public string ServiceKey { get; set; } = "";
}
