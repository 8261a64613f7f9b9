using Microsoft.Extensions.Options;
using Proxy.Options;
using Proxy.Sessions;

namespace Proxy.Cookies;

/// <summary>
/// The session cookie: HttpOnly, SameSite=Lax, Path=/, Secure, and "__Host-" prefixed when the site is served over
/// HTTPS. "Served over HTTPS" means the request arrived over TLS or every configured public origin is https (TLS
/// usually ends at an ingress such as Azure Container Apps, so the Proxy itself sees http). On plain http,
/// Secure is still set for loopback hosts (Chromium stores and sends Secure cookies for http://127.0.0.1 and
/// http://localhost, verified with Chromium 156) and left off otherwise, where browsers would drop the cookie.
/// The value is opaque here (the SessionApi parses it); its format rule is Gateway.Contracts.SessionCookieFormat.
/// </summary>
public sealed class SessionCookiePolicy(IOptions<GatewayOptions> options)
{
    private const string HostPrefix = "__Host-";
    private readonly string _plainName = options.Value.CookieName;
    private readonly bool _httpsSite = options.Value.PublicOrigins.Length > 0
        && options.Value.PublicOrigins.All(o => o.StartsWith("https://", StringComparison.OrdinalIgnoreCase));

    /// <summary>The cookie name for this request: "__Host-" prefixed on an HTTPS site.</summary>
    public string NameFor(HttpRequest request) => UsesHostPrefix(request) ? HostPrefix + _plainName : _plainName;

    /// <summary>
    /// The request's session cookie in one walk over the Cookie header(s): the value under this request's name (on an
    /// HTTPS site only the prefixed cookie counts: a plain one could have been planted by a sibling subdomain or over
    /// http), how many cookies carry that name, and whether either spelling came along. Names are compared exactly
    /// (ordinal; ASP.NET's own parser ignores case and percent-decodes, so "SB-SESSION" or "sb-session=a%2Eb" would
    /// otherwise count as ours). Malformed values are kept (they are reported as ended, not as anonymous).
    /// </summary>
    public SessionFeature Parse(HttpRequest request)
    {
        var name = NameFor(request);
        var other = UsesHostPrefix(request) ? _plainName : HostPrefix + _plainName;
        string? first = null;
        var count = 0;
        var carries = false;
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
                if (equals > 0)
                {
                    var pairName = pair[..equals].Trim();
                    if (pairName.SequenceEqual(name))
                    {
                        carries = true;
                        count++;
                        first ??= header.Substring(start + equals + 1, end - start - equals - 1).Trim();
                    }
                    else if (pairName.SequenceEqual(other))
                    {
                        carries = true;
                    }
                }
                start = end + 1;
            }
        }
        return new SessionFeature(first, count, carries);
    }

    /// <summary>
    /// Raw values of the cookies named exactly <paramref name="name"/> (ordinal, not percent-decoded), for the
    /// gateway's other cookies (the auth flow cookies); the session cookie is read once by <see cref="Parse"/>.
    /// </summary>
    public static IEnumerable<string> ValuesNamed(HttpRequest request, string name)
    {
        foreach (var header in request.Headers.Cookie)
        {
            if (string.IsNullOrEmpty(header))
            {
                continue;
            }
            foreach (var pair in header.Split(';'))
            {
                var equals = pair.IndexOf('=');
                if (equals > 0 && pair.AsSpan(0, equals).Trim().SequenceEqual(name))
                {
                    yield return pair[(equals + 1)..].Trim();
                }
            }
        }
    }

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
