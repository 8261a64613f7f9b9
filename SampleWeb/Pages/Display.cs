using System.Globalization;

namespace SampleWeb.Pages;

/// <summary>Small formatting helpers for dates and devices, so pages read like a product rather than a table dump.</summary>
public static class Display
{
    /// <summary>"just now", "5 min ago", "3 h ago", "2 days ago", then the date.</summary>
    public static string Ago(DateTimeOffset when, DateTimeOffset now)
    {
        var age = now - when;
        return age.TotalSeconds switch
        {
            < 60 => "just now",
            < 3600 => $"{(int)age.TotalMinutes} min ago",
            < 86400 => $"{(int)age.TotalHours} h ago",
            < 7 * 86400 => (int)age.TotalDays == 1 ? "yesterday" : $"{(int)age.TotalDays} days ago",
            _ => Date(when),
        };
    }

    /// <summary>Who wrote a post or comment: the name they signed up with, or a neutral word (never their email).</summary>
    public static string Author(string? name) => string.IsNullOrWhiteSpace(name) ? "A member" : name;

    public static string Date(DateTimeOffset when) =>
        when.ToUniversalTime().ToString("d MMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>"Chrome on Linux" from a User-Agent string; "Unknown device" when there is none.</summary>
    public static string Device(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return "Unknown device";
        }
        var browser = userAgent switch
        {
            _ when userAgent.Contains("Firefox/", StringComparison.Ordinal) => "Firefox",
            _ when userAgent.Contains("Edg/", StringComparison.Ordinal) => "Edge",
            _ when userAgent.Contains("OPR/", StringComparison.Ordinal) => "Opera",
            _ when userAgent.Contains("Chrome/", StringComparison.Ordinal) => "Chrome",
            _ when userAgent.Contains("Safari/", StringComparison.Ordinal) => "Safari",
            _ when userAgent.StartsWith("node", StringComparison.OrdinalIgnoreCase) => "Node.js",
            _ => null,
        };
        var system = userAgent switch
        {
            _ when userAgent.Contains("Android", StringComparison.Ordinal) => "Android",
            _ when userAgent.Contains("iPhone", StringComparison.Ordinal) || userAgent.Contains("iPad", StringComparison.Ordinal) => "iOS",
            _ when userAgent.Contains("Windows", StringComparison.Ordinal) => "Windows",
            _ when userAgent.Contains("Mac OS X", StringComparison.Ordinal) => "macOS",
            _ when userAgent.Contains("Linux", StringComparison.Ordinal) => "Linux",
            _ => null,
        };
        return (browser, system) switch
        {
            ({ } b, { } s) => $"{b} on {s}",
            ({ } b, null) => b,
            (null, { } s) => $"Browser on {s}",
            _ => userAgent.Length > 40 ? userAgent[..40] + "…" : userAgent,
        };
    }
}
