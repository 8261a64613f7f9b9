namespace Proxy.Realtime;

/// <summary>
/// Cross-site websocket hijacking guard: browsers always send <c>Origin</c> on a websocket upgrade and cookies ride
/// along, so only pages of our own public origins (<c>Gateway:PublicOrigins</c>) may open a relayed socket.
/// </summary>
public sealed class RealtimeOriginCheck
{
    private readonly HashSet<string> _allowed;

    public RealtimeOriginCheck(IConfiguration configuration)
    {
        var configured = configuration.GetSection("Gateway:PublicOrigins").Get<string[]>() ?? [];
        _allowed = new HashSet<string>(configured.Select(Normalize).OfType<string>(), StringComparer.Ordinal);
    }

    /// <summary>True when the header names one of the configured origins (a missing header is not allowed).</summary>
    public bool IsAllowed(string? origin) => Normalize(origin) is { } normalized && _allowed.Contains(normalized);

    /// <summary>scheme://host[:port] in lower case, default ports omitted; null for anything that is not an http(s) origin.</summary>
    private static string? Normalize(string? origin)
    {
        if (string.IsNullOrWhiteSpace(origin) || !Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) ||
            uri.AbsolutePath is not ("/" or "") || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            return null;
        }
        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }
}
