namespace Proxy.Options;

/// <summary>What a request is counted as; each kind has its own budget (Gateway:RateLimits:{Kind}).</summary>
public enum RateLimitKind
{
    /// <summary>Password, PKCE and id_token grants, signup, verify and the no-JS sign-in/sign-up forms.</summary>
    SignIn,

    /// <summary>The refresh_token grant (answered from the cookie, but still a lookup per call).</summary>
    Refresh,

    /// <summary>OTP, magic link, recovery and resend: each one sends an email or SMS.</summary>
    Otp,

    /// <summary>/edge/v1/session and /edge/v1/sessions*.</summary>
    Session,
}

/// <summary>One budget: attempts per client IP and per session (0 turns that dimension off) in a fixed window.</summary>
public sealed class RateLimitPolicy
{
    public int PerIp { get; set; }

    public int PerSession { get; set; }

    public int WindowSeconds { get; set; } = 60;
}

/// <summary>
/// Gateway:RateLimits — counted by the SessionApi in Redis, so every Proxy instance shares the same counters.
/// Defaults are generous for people and tight for scripts; Enabled=false is for tests and benchmarks.
/// </summary>
public sealed class RateLimitOptions
{
    public bool Enabled { get; set; } = true;

    public RateLimitPolicy SignIn { get; set; } = new() { PerIp = 60, PerSession = 30, WindowSeconds = 60 };

    public RateLimitPolicy Refresh { get; set; } = new() { PerIp = 600, PerSession = 120, WindowSeconds = 60 };

    public RateLimitPolicy Otp { get; set; } = new() { PerIp = 30, PerSession = 10, WindowSeconds = 300 };

    public RateLimitPolicy Session { get; set; } = new() { PerIp = 1200, PerSession = 300, WindowSeconds = 60 };

    public RateLimitPolicy For(RateLimitKind kind) => kind switch
    {
        RateLimitKind.SignIn => SignIn,
        RateLimitKind.Refresh => Refresh,
        RateLimitKind.Otp => Otp,
        _ => Session,
    };

    /// <summary>The first setting at fault, or null.</summary>
    public string? Problem()
    {
        foreach (var kind in Enum.GetValues<RateLimitKind>())
        {
            var policy = For(kind);
            if (policy.PerIp < 0 || policy.PerSession < 0)
            {
                return $"Settings 'Gateway:RateLimits:{kind}:PerIp' and 'Gateway:RateLimits:{kind}:PerSession' must be 0 (off) or positive.";
            }
            if (policy.WindowSeconds is < 1 or > 86_400)
            {
                return $"Setting 'Gateway:RateLimits:{kind}:WindowSeconds' must be between 1 and 86400.";
            }
        }
        return null;
    }
}
