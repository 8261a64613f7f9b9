using Microsoft.Extensions.Options;
using Proxy.Options;

namespace Proxy.Cookies;

/// <summary>
/// The session cookie: HttpOnly, SameSite=Lax, Path=/, Secure, and "__Host-" prefixed when the site is served over
/// HTTPS. "Served over HTTPS" means the request arrived over TLS or every configured public origin is https (TLS
/// usually ends at an ingress such as Azure Container Apps, so the Proxy itself sees http). On plain http,
/// Secure is still set for loopback hosts (Chromium stores and sends Secure cookies for http://127.0.0.1 and
/// http://localhost, verified with Chromium 156) and left off otherwise, where browsers would drop the cookie.
/// The value is opaque here (the SessionApi parses it); we only reject values that cannot be ours.
/// </summary>
public sealed class SessionCookiePolicy(IOptions<GatewayOptions> options)
{
    public const int MaxValueLength = 128;
    private const string HostPrefix = "__Host-";
    private readonly string _plainName = options.Value.CookieName;
    private readonly bool _httpsSite = options.Value.PublicOrigins.Length > 0
        && options.Value.PublicOrigins.All(o => o.StartsWith("https://", StringComparison.OrdinalIgnoreCase));

    /// <summary>The cookie name for this request: "__Host-" prefixed on an HTTPS site.</summary>
    public string NameFor(HttpRequest request) => UsesHostPrefix(request) ? HostPrefix + _plainName : _plainName;

    public bool HasCookie(HttpRequest request) =>
        ValuesNamed(request, _plainName).Any() || ValuesNamed(request, HostPrefix + _plainName).Any();

    /// <summary>How many cookies carry this request's cookie name (more than one is refused: which one would count is ambiguous).</summary>
    public int CountFor(HttpRequest request) => ValuesNamed(request, NameFor(request)).Count();

    /// <summary>
    /// Raw values of the cookies named exactly <paramref name="name"/> (ordinal; ASP.NET's own parser ignores case and
    /// percent-decodes, so "SB-SESSION" or "sb-session=a%2Eb" would otherwise count as ours).
    /// </summary>
    public static IEnumerable<string> ValuesNamed(HttpRequest request, string name)
    {
        // Runs on every request (limits, CSRF, session lookup): walks the header by index and builds a string only
        // for a value that matches.
        foreach (var header in request.Headers.Cookie)
        {
            if (string.IsNullOrEmpty(header))
            {
                continue;
            }
            for (var start = 0; start <= header.Length;)
            {
                var end = header.IndexOf(';', start);
                if (end < 0)
                {
                    end = header.Length;
                }
                var pair = header.AsSpan(start, end - start);
                var equals = pair.IndexOf('=');
                if (equals > 0 && pair[..equals].Trim().SequenceEqual(name))
                {
                    yield return header.Substring(start + equals + 1, end - start - equals - 1).Trim();
                }
                start = end + 1;
            }
        }
    }

    /// <summary>
    /// The raw value (null when absent). On an HTTPS site only the prefixed cookie counts: a plain one could have
    /// been planted by a sibling subdomain or over http. Malformed values are returned too (reported as ended).
    /// </summary>
    public string? Read(HttpRequest request) => ValuesNamed(request, NameFor(request)).FirstOrDefault();

    public static bool LooksValid(string value) =>
        value.Length is > 0 and <= MaxValueLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public void Write(HttpContext context, string value, DateTimeOffset expires)
    {
        var maxAge = expires - DateTimeOffset.UtcNow;
        context.Response.Cookies.Append(NameFor(context.Request), value, Attributes(context.Request, maxAge > TimeSpan.Zero ? maxAge : TimeSpan.Zero));
    }

    public void Clear(HttpContext context) =>
        context.Response.Cookies.Delete(NameFor(context.Request), Attributes(context.Request, null));

    private CookieOptions Attributes(HttpRequest request, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        Secure = SecureFor(request),
        SameSite = SameSiteMode.Lax,
        Path = "/",
        MaxAge = maxAge,
    };

    /// <summary>Whether cookies set on this request carry Secure (the rule above; the auth flow cookies follow it too).</summary>
    public bool SecureFor(HttpRequest request) => UsesHostPrefix(request) || IsLoopback(request.Host.Host);

    /// <summary>True on an HTTPS site (the session cookie then carries the "__Host-" prefix).</summary>
    public bool UsesHostPrefix(HttpRequest request) => request.IsHttps || _httpsSite;

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));

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
