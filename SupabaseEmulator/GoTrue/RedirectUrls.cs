using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace SupabaseEmulator.GoTrue;

/// <summary>
/// GoTrue's redirect allow-list (docs/supabase-contract.md §1.9): a redirect_to on the site URL's host, or matching one of the
/// additional redirect URLs ("*" within one host label or path segment, "**" anything), is kept; anything else
/// falls back to the site URL.
/// </summary>
public sealed class RedirectUrls(IOptions<EmulatorOptions> options)
{
    public string Resolve(string? redirectTo) => IsAllowed(redirectTo) ? redirectTo! : options.Value.SiteUrl;

    public bool IsAllowed(string? redirectTo)
    {
        if (string.IsNullOrEmpty(redirectTo) || !Uri.TryCreate(redirectTo, UriKind.Absolute, out var target) || target.Scheme is not ("http" or "https"))
        {
            return false;
        }
        if (Uri.TryCreate(options.Value.SiteUrl, UriKind.Absolute, out var site) && string.Equals(site.Host, target.Host, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return options.Value.AdditionalRedirectUrls.Any(pattern => Glob(pattern).IsMatch(redirectTo));
    }

    private static Regex Glob(string pattern)
    {
        var regex = Regex.Escape(pattern).Replace(@"\*\*", "\u0001", StringComparison.Ordinal).Replace(@"\*", "[^./]*", StringComparison.Ordinal).Replace("\u0001", ".*", StringComparison.Ordinal);
        return new Regex("^" + regex + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    /// <summary>Appends query parameters to a URL that may already have some (its fragment is dropped).</summary>
    public static string WithQuery(string url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var withoutFragment = url.Split('#')[0];
        var separator = withoutFragment.Contains('?') ? "&" : "?";
        return withoutFragment + separator + string.Join('&', parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
    }
}
