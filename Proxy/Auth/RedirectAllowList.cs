using Microsoft.Extensions.Options;
using Proxy.Options;
using Proxy.Security;

namespace Proxy.Auth;

/// <summary>
/// Decides whether GoTrue may send the browser to a <c>redirect_to</c>: the Proxy's public origins (any path) and
/// the Gateway:AllowedRedirectUrls patterns. GoTrue has its own list, but a request it would bounce to SITE_URL never
/// needs to reach it, and a project whose list is too generous (or a hosted project shared with other apps) must
/// not turn this gateway into an open redirector.
/// </summary>
public sealed class RedirectAllowList
{
    private readonly HashSet<string> _origins;
    private readonly RedirectPattern[] _patterns;

    public RedirectAllowList(IOptions<GatewayOptions> gateway)
    {
        _origins = new HashSet<string>(gateway.Value.PublicOrigins.Select(OriginPolicy.Normalize).OfType<string>(), StringComparer.Ordinal);
        _patterns = gateway.Value.AllowedRedirectUrls.Select(p => RedirectPattern.Parse(p, out _)).OfType<RedirectPattern>().ToArray();
    }

    /// <summary>Null when allowed (an empty value is GoTrue's "not given"), else why not, fit for the error message.</summary>
    public string? Problem(string? redirectTo)
    {
        if (string.IsNullOrEmpty(redirectTo))
        {
            return null;
        }
        if (RedirectTarget.Parse(redirectTo, out var problem) is not { } target)
        {
            return problem;
        }
        if (_origins.Contains(target.Origin) || _patterns.Any(p => p.Matches(target)))
        {
            return null;
        }
        return "redirect_to is not on the gateway's list of allowed redirect URLs";
    }
}
