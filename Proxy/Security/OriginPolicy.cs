using Microsoft.Extensions.Options;
using Proxy.Options;

namespace Proxy.Security;

/// <summary>The configured public origins: the only ones trusted for CSRF, websocket upgrades and redirects.</summary>
public sealed class OriginPolicy
{
    private readonly HashSet<string> _allowed;

    public OriginPolicy(IOptions<GatewayOptions> options) =>
        _allowed = new HashSet<string>(options.Value.PublicOrigins.Select(Normalize).OfType<string>(), StringComparer.Ordinal);

    /// <summary>True when the header names a configured origin (a missing header is not allowed).</summary>
    public bool IsAllowed(string? origin) => Normalize(origin) is { } normalized && _allowed.Contains(normalized);

    /// <summary>scheme://host[:port] in lower case, default ports omitted; null for anything that is not an http(s) origin.</summary>
    public static string? Normalize(string? origin)
    {
        if (string.IsNullOrWhiteSpace(origin) || !Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) ||
            uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            return null;
        }
        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }

    /// <summary>A local path safe to redirect to ("/x"), or "/" for anything else (absolute, "//host", "/\host").</summary>
    public static string SafeLocalPath(string? returnUrl)
    {
        if (string.IsNullOrEmpty(returnUrl) || returnUrl[0] != '/' || returnUrl.Length > 2048)
        {
            return "/";
        }
        if (returnUrl.Length > 1 && (returnUrl[1] == '/' || returnUrl[1] == '\\'))
        {
            return "/";
        }
        return returnUrl.Any(c => char.IsControl(c) || c == '\\') ? "/" : returnUrl;
    }
}
