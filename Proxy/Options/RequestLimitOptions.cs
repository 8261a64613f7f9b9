namespace Proxy.Options;

/// <summary>Gateway:Limits — sizes refused before any work is done (each refusal is a GoTrue-style JSON 4xx).</summary>
public sealed class RequestLimitOptions
{
    /// <summary>All request headers together (names and values); larger requests get 431.</summary>
    public int MaxHeaderBytes { get; set; } = 32 * 1024;

    /// <summary>The Cookie header(s); larger get 431 (browsers cap one cookie at 4 KB, ~180 cookies per site).</summary>
    public int MaxCookieHeaderBytes { get; set; } = 16 * 1024;

    /// <summary>Request bodies on /supabase/auth/* (GoTrue's own limit is 1 MB); larger get 413.</summary>
    public int MaxAuthBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Any other request body (Storage uploads); Supabase's default upload limit is 50 MB.</summary>
    public long MaxRequestBodyBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Nesting allowed in JSON bodies the Proxy parses itself (sign-in, sign-up, verify).</summary>
    public int MaxJsonDepth { get; set; } = 32;

    public string? Problem()
    {
        if (MaxHeaderBytes is < 4096 or > 1024 * 1024)
        {
            return "Setting 'Gateway:Limits:MaxHeaderBytes' must be between 4096 and 1048576.";
        }
        if (MaxCookieHeaderBytes < 1024 || MaxCookieHeaderBytes > MaxHeaderBytes)
        {
            return "Setting 'Gateway:Limits:MaxCookieHeaderBytes' must be at least 1024 and at most Gateway:Limits:MaxHeaderBytes.";
        }
        if (MaxAuthBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            return "Setting 'Gateway:Limits:MaxAuthBodyBytes' must be between 1024 and 16777216.";
        }
        if (MaxRequestBodyBytes < MaxAuthBodyBytes)
        {
            return "Setting 'Gateway:Limits:MaxRequestBodyBytes' must be at least Gateway:Limits:MaxAuthBodyBytes.";
        }
        if (MaxJsonDepth is < 2 or > 256)
        {
            return "Setting 'Gateway:Limits:MaxJsonDepth' must be between 2 and 256.";
        }
        return null;
    }
}

/// <summary>Gateway:Ingress — what the hop in front of the Proxy may tell it.</summary>
public sealed class IngressOptions
{
    /// <summary>
    /// Trust the last X-Forwarded-For / X-Forwarded-Proto entry (set true only behind an ingress that appends them,
    /// such as Azure Container Apps); otherwise the connection's address is the client's.
    /// </summary>
    public bool TrustForwardedHeaders { get; set; }
}
