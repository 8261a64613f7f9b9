namespace Proxy.Forwarding;

/// <summary>
/// Paths forwarded to Supabase must mean the same thing to every hop. Kestrel has already decoded the path and
/// removed dot segments; what is left that upstream routers may read differently (and so reach a route the
/// Proxy meant to intercept, or escape a path prefix) is refused: empty segments, encoded or raw
/// backslashes and slashes inside a segment, and control characters.
/// </summary>
public static class UpstreamPath
{
    public static bool IsCanonical(PathString path)
    {
        var value = path.Value ?? "";
        if (value.Contains("//", StringComparison.Ordinal) || value.Contains('\\')
            || value.Contains("%2F", StringComparison.OrdinalIgnoreCase) || value.Contains("%5C", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        foreach (var segment in value.Split('/'))
        {
            if (segment is "." or "..")
            {
                return false;
            }
        }
        return !value.Any(char.IsControl);
    }
}
