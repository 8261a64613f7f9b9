using Microsoft.Extensions.Options;
using Proxy.Options;

namespace Proxy.Security;

/// <summary>
/// The configured public origins: the only ones trusted for CSRF, websocket upgrades (CSWSH) and redirects. The one
/// origin normalisation of the Proxy (<see cref="Normalize"/>) lives here.
/// </summary>
public sealed class OriginPolicy
{
    private readonly HashSet<string> _allowed;

    public OriginPolicy(IOptions<GatewayOptions> options)
    {
        _allowed = new HashSet<string>(options.Value.PublicOrigins.Select(Normalize).OfType<string>(), StringComparer.Ordinal);
        PrimaryOrigin = Normalize(options.Value.PublicOrigins.FirstOrDefault());
    }

    /// <summary>The first configured origin (normalized): where the site "really is" when a page must say so.</summary>
    public string? PrimaryOrigin { get; }

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

    /// <summary>
    /// A local path safe to redirect to ("/x"), or "/" for anything else (absolute, "//host", "/\host"). The result is
    /// ASCII (other characters percent-encoded as UTF-8): a Location header cannot carry anything else, and finding
    /// that out after a session was created would leave the session without its cookie.
    /// </summary>
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
        if (returnUrl.Any(c => char.IsControl(c) || c == '\\'))
        {
            return "/";
        }
        return returnUrl.All(c => c is > ' ' and < '\u007f' and not ('"' or '<' or '>' or '`')) ? returnUrl : PercentEncode(returnUrl);
    }

    private static string PercentEncode(string path)
    {
        var encoded = new System.Text.StringBuilder(path.Length * 3);
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(path))
        {
            if (b is > (byte)' ' and < 0x7f && b is not ((byte)'"' or (byte)'<' or (byte)'>' or (byte)'`'))
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return encoded.ToString();
    }
}
