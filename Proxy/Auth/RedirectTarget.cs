namespace Proxy.Auth;

/// <summary>
/// A <c>redirect_to</c> value parsed strictly: an absolute http(s) URL whose authority is a plain host and port.
/// Anything a browser, GoTrue and .NET might read differently (credentials, backslashes, percent-encoded or
/// non-ASCII hosts, dot segments, whitespace) is refused rather than normalised, so the allow-list decides on
/// exactly the host the browser will go to.
/// </summary>
public sealed record RedirectTarget(string Scheme, string Host, int Port, string Rest)
{
    public const int MaxLength = 2048;

    /// <summary>scheme://host[:port], lower case, default port omitted (the shape of <see cref="Security.OriginPolicy.Normalize"/>).</summary>
    public string Origin => IsDefaultPort(Scheme, Port) ? $"{Scheme}://{Host}" : $"{Scheme}://{Host}:{Port}";

    /// <summary>The target, or null with the reason it cannot be used.</summary>
    public static RedirectTarget? Parse(string raw, out string problem)
    {
        problem = "";
        if (raw.Length > MaxLength)
        {
            problem = "redirect_to is too long";
            return null;
        }
        if (raw.Any(c => c <= ' ' || c == '\u007f' || c == '\\'))
        {
            problem = "redirect_to contains whitespace, control characters or backslashes";
            return null;
        }
        string scheme;
        if (raw.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            scheme = "https";
        }
        else if (raw.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            scheme = "http";
        }
        else
        {
            problem = "redirect_to must be an absolute http(s) URL";
            return null;
        }
        var afterScheme = raw[(scheme.Length + 3)..];
        var end = afterScheme.IndexOfAny(['/', '?', '#']);
        var authority = end < 0 ? afterScheme : afterScheme[..end];
        var rest = end < 0 ? "" : afterScheme[end..];
        if (authority.Contains('@'))
        {
            problem = "redirect_to must not carry credentials";
            return null;
        }
        if (!TrySplitAuthority(authority, scheme, out var host, out var port))
        {
            problem = "redirect_to has an invalid host or port";
            return null;
        }
        if (ProblemWithRest(rest) is { } restProblem)
        {
            problem = restProblem;
            return null;
        }
        return new RedirectTarget(scheme, host, port, rest);
    }

    public static bool IsDefaultPort(string scheme, int port) => (scheme == "http" && port == 80) || (scheme == "https" && port == 443);

    /// <summary>host (DNS name, IPv4 or [IPv6]) and optional port; only the characters those can contain.</summary>
    internal static bool TrySplitAuthority(string authority, string scheme, out string host, out int port)
    {
        port = scheme == "https" ? 443 : 80;
        string? portText = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            host = close < 0 ? "" : authority[..(close + 1)].ToLowerInvariant();
            var afterHost = close < 0 ? "" : authority[(close + 1)..];
            if (close < 0 || (afterHost.Length > 0 && afterHost[0] != ':') || !IsIPv6Literal(host[1..^1]))
            {
                return false;
            }
            portText = afterHost.Length > 0 ? afterHost[1..] : null;
        }
        else
        {
            var colon = authority.IndexOf(':');
            host = (colon < 0 ? authority : authority[..colon]).ToLowerInvariant();
            portText = colon < 0 ? null : authority[(colon + 1)..];
            if (!IsDnsNameOrIPv4(host))
            {
                return false;
            }
        }
        if (portText is not null)
        {
            if (portText.Length is 0 or > 5 || !portText.All(char.IsAsciiDigit)
                || int.Parse(portText, System.Globalization.CultureInfo.InvariantCulture) is < 1 or > 65535)
            {
                return false;
            }
            port = int.Parse(portText, System.Globalization.CultureInfo.InvariantCulture);
        }
        return true;
    }

    private static bool IsIPv6Literal(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')
        && System.Net.IPAddress.TryParse(text, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    /// <summary>Letters, digits and '-' in non-empty labels of at most 63 characters; no trailing dot (a different name to some resolvers).</summary>
    private static bool IsDnsNameOrIPv4(string host)
    {
        if (host.Length is 0 or > 253)
        {
            return false;
        }
        foreach (var label in host.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }
        // All-numeric names are IPv4 literals: only the dotted-quad form (no 0x7f.1, 2130706433, 127.1 shorthands).
        return !host.Split('.').All(l => l.All(char.IsAsciiDigit)) || System.Net.IPAddress.TryParse(host, out var ip)
            && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && ip.ToString() == host;
    }

    /// <summary>Path, query and fragment: no "//" right after the host, no dot segments or encoded separators in the path.</summary>
    private static string? ProblemWithRest(string rest)
    {
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            return "redirect_to has an empty path segment after the host";
        }
        if (rest.Any(c => c > '\u007e'))
        {
            return "redirect_to must be ASCII (percent-encode other characters)";
        }
        var pathEnd = rest.IndexOfAny(['?', '#']);
        var path = pathEnd < 0 ? rest : rest[..pathEnd];
        if (path.Contains("%2f", StringComparison.OrdinalIgnoreCase) || path.Contains("%5c", StringComparison.OrdinalIgnoreCase))
        {
            return "redirect_to has an encoded slash in its path";
        }
        foreach (var segment in path.Split('/'))
        {
            var decoded = segment.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase);
            if (decoded is "." or "..")
            {
                return "redirect_to has a dot segment in its path";
            }
        }
        return null;
    }
}
