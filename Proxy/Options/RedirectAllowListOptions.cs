namespace Proxy.Options;

/// <summary>
/// Gateway:AllowedRedirectUrls — where GoTrue may send the browser after OAuth, email links and OTP
/// (<c>redirect_to</c>), beyond the Proxy's own public origins, which are always allowed. Supabase-style globs:
/// <c>*</c> matches within one host label or path segment, <c>**</c> matches anything, e.g. <c>http://localhost:5080/**</c>.
/// </summary>
public sealed class RedirectAllowListOptions
{
    public const string Section = "Gateway";

    public string[] AllowedRedirectUrls { get; set; } = [];
}
