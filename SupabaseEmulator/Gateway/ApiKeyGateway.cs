using Microsoft.Extensions.Options;

namespace SupabaseEmulator.Gateway;

/// <summary>
/// What Kong does in front of GoTrue, PostgREST and Storage (not /storage/v1/s3, whose signatures live in Authorization) in the CLI stack (docs/supabase-contract.md §0): the upstream Authorization is
/// the caller's own bearer token, else the legacy JWT for a new-format <c>apikey</c>. The apikey is not checked.
/// One deliberate difference: a <c>Bearer sb_...</c> that is not byte-identical to the apikey is passed on as is
/// (so PostgREST answers 401 PGRST301), as the hosted platform refuses such requests. Kong would substitute the
/// raw apikey; refusing makes a gateway that leaks a browser's key upstream visible in tests.
/// </summary>
public sealed class ApiKeyGateway(RequestDelegate next, IOptions<EmulatorOptions> options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if ((path.StartsWithSegments("/auth/v1") && !IsBrowserRoute(path)) || path.StartsWithSegments("/rest/v1")
            || (path.StartsWithSegments("/storage/v1") && !path.StartsWithSegments("/storage/v1/s3")))
        {
            var rewritten = Rewrite(context.Request.Headers.Authorization.ToString(), context.Request.Headers["apikey"].ToString(), options.Value);
            if (rewritten is null)
            {
                context.Request.Headers.Remove("Authorization");
            }
            else
            {
                context.Request.Headers.Authorization = rewritten;
            }
        }
        return next(context);
    }

    /// <summary>Kong routes /verify, /callback and /authorize without header rewriting (browser navigations).</summary>
    private static bool IsBrowserRoute(PathString path) =>
        path.StartsWithSegments("/auth/v1/verify") || path.StartsWithSegments("/auth/v1/callback") || path.StartsWithSegments("/auth/v1/authorize");

    internal static string? Rewrite(string authorization, string apiKey, EmulatorOptions options)
    {
        var bearerKey = authorization.StartsWith("Bearer sb_", StringComparison.Ordinal);
        if (authorization.Length > 0 && !bearerKey)
        {
            return authorization;
        }
        if (bearerKey && authorization != "Bearer " + apiKey)
        {
            return authorization;
        }
        if (apiKey == options.SecretKey)
        {
            return "Bearer " + options.ServiceKey;
        }
        if (apiKey == options.PublishableKey)
        {
            return "Bearer " + options.AnonKey;
        }
        // Kong's last branch: the raw apikey value, without "Bearer " (GoTrue then sees no bearer token, PostgREST
        // runs the request as anon).
        return apiKey.Length > 0 ? apiKey : null;
    }
}
