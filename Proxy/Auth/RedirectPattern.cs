using System.Text.RegularExpressions;

namespace Proxy.Auth;

/// <summary>
/// One Gateway:AllowedRedirectUrls entry, Supabase-style: <c>*</c> matches within one host label or path segment
/// (never across '.' or '/'), <c>**</c> matches anything in the path. The host must end in two literal labels (or be
/// a single literal label such as localhost) so no pattern can allow every site. Without a path only the bare origin
/// matches; use <c>/**</c> for any path.
/// </summary>
public sealed class RedirectPattern
{
    private const RegexOptions Matching = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    private readonly string _scheme;
    private readonly Regex _host;
    private readonly int? _port; // null: any port ("*")
    private readonly Regex? _rest; // null: bare origin only

    private RedirectPattern(string text, string scheme, Regex host, int? port, Regex? rest)
    {
        Text = text;
        _scheme = scheme;
        _host = host;
        _port = port;
        _rest = rest;
    }

    public string Text { get; }

    public bool Matches(RedirectTarget target) =>
        target.Scheme == _scheme
        && _host.IsMatch(target.Host)
        && (_port is null || _port == target.Port)
        && (_rest is null ? target.Rest is "" or "/" : _rest.IsMatch(target.Rest));

    /// <summary>The pattern, or null with what is wrong with it (for the startup message).</summary>
    public static RedirectPattern? Parse(string text, out string problem)
    {
        problem = "";
        var scheme = text.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "https"
            : text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "http" : null;
        if (scheme is null)
        {
            problem = "it must start with http:// or https://";
            return null;
        }
        if (text.Any(c => c <= ' ' || c > '\u007e' || c == '\\'))
        {
            problem = "it contains whitespace, backslashes or non-ASCII characters";
            return null;
        }
        var afterScheme = text[(scheme.Length + 3)..];
        var end = afterScheme.IndexOfAny(['/', '?', '#']);
        var authority = end < 0 ? afterScheme : afterScheme[..end];
        var rest = end < 0 ? "" : afterScheme[end..];

        Regex host;
        int? port;
        if (authority.StartsWith('['))
        {
            // IPv6 literals are literal: no wildcards.
            if (authority.Contains('*') || !RedirectTarget.TrySplitAuthority(authority, scheme, out var literal, out var literalPort))
            {
                problem = "its IPv6 host or port is invalid";
                return null;
            }
            host = new Regex("^" + Regex.Escape(literal) + "$", Matching);
            port = literalPort;
        }
        else
        {
            var colon = authority.IndexOf(':');
            var hostGlob = (colon < 0 ? authority : authority[..colon]).ToLowerInvariant();
            var portText = colon < 0 ? null : authority[(colon + 1)..];
            if (HostProblem(hostGlob) is { } hostProblem)
            {
                problem = hostProblem;
                return null;
            }
            if (portText == "*")
            {
                port = null;
            }
            else if (portText is null)
            {
                port = scheme == "https" ? 443 : 80;
            }
            else if (portText.Length is > 0 and <= 5 && portText.All(char.IsAsciiDigit) && int.Parse(portText, System.Globalization.CultureInfo.InvariantCulture) is >= 1 and <= 65535)
            {
                port = int.Parse(portText, System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                problem = "its port must be a number or *";
                return null;
            }
            host = new Regex("^" + Regex.Escape(hostGlob).Replace(@"\*", "[^.]*", StringComparison.Ordinal) + "$", Matching);
        }
        Regex? restRegex = rest.Length == 0 ? null : new Regex("^" + Glob(rest) + "$", Matching);
        return new RedirectPattern(text, scheme, host, port, restRegex);
    }

    private static string? HostProblem(string hostGlob)
    {
        if (hostGlob.Length == 0 || hostGlob.Contains('@') || hostGlob.Contains('%'))
        {
            return "its host is missing or has credentials or percent-encoding";
        }
        if (hostGlob.Contains("**", StringComparison.Ordinal))
        {
            return "** is only allowed in the path";
        }
        var labels = hostGlob.Split('.');
        if (labels.Any(l => l.Length == 0 || !l.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '*')))
        {
            return "its host has an empty label or characters other than letters, digits, '-' and '*'";
        }
        if (labels.TakeLast(Math.Min(2, labels.Length)).Any(l => l.Contains('*')))
        {
            return "its host must end in literal labels (e.g. *.example.com, not *.com)";
        }
        return null;
    }

    private static string Glob(string rest) =>
        Regex.Escape(rest)
            .Replace(@"\*\*", "\u0001", StringComparison.Ordinal)
            .Replace(@"\*", "[^./]*", StringComparison.Ordinal)
            .Replace("\u0001", ".*", StringComparison.Ordinal);
}
