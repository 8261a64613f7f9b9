using Microsoft.Extensions.Options;
using Proxy.Options;

namespace Proxy.Cookies;

/// <summary>
/// The session cookie: HttpOnly, SameSite=Lax, Path=/, Secure and "__Host-" prefixed on HTTPS. Its value is opaque
/// here (the SessionApi parses it); we only reject values that cannot be ours.
/// </summary>
public sealed class SessionCookiePolicy(IOptions<GatewayOptions> options)
{
    public const int MaxValueLength = 128;
    private readonly string _plainName = options.Value.CookieName;

    public string NameFor(HttpRequest request) => request.IsHttps ? "__Host-" + _plainName : _plainName;

    public bool HasCookie(HttpRequest request) =>
        request.Cookies.ContainsKey(_plainName) || request.Cookies.ContainsKey("__Host-" + _plainName);

    /// <summary>The raw value (null when absent). Malformed values are returned too: the caller reports them as ended.</summary>
    public string? Read(HttpRequest request)
    {
        var value = request.IsHttps && request.Cookies.TryGetValue("__Host-" + _plainName, out var secure) ? secure
            : request.Cookies.TryGetValue(_plainName, out var plain) ? plain : null;
        return value;
    }

    public static bool LooksValid(string value) =>
        value.Length is > 0 and <= MaxValueLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public void Write(HttpContext context, string value, DateTimeOffset expires)
    {
        var maxAge = expires - DateTimeOffset.UtcNow;
        context.Response.Cookies.Append(NameFor(context.Request), value, new CookieOptions
        {
            HttpOnly = true,
            // Chromium drops Secure cookies set over plain http (even on 127.0.0.1), so Secure follows the scheme.
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            MaxAge = maxAge > TimeSpan.Zero ? maxAge : TimeSpan.Zero,
        });
    }

    public void Clear(HttpContext context) =>
        context.Response.Cookies.Delete(NameFor(context.Request), new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/",
        });

    /// <summary>The Cookie header without our cookie (for SampleWeb, which may use its own cookies).</summary>
    public string? WithoutSessionCookie(string? cookieHeader)
    {
        if (string.IsNullOrEmpty(cookieHeader))
        {
            return null;
        }
        var kept = cookieHeader.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(pair =>
            {
                var name = pair.Split('=', 2)[0].Trim();
                return name != _plainName && name != "__Host-" + _plainName;
            })
            .ToList();
        return kept.Count == 0 ? null : string.Join("; ", kept);
    }
}
