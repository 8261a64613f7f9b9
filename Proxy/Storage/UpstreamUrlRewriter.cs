using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Transforms;

namespace Proxy.Storage;

/// <summary>
/// Storage answers with URLs of its own origin in headers (a resumable upload's Location is absolute). The browser
/// must only ever see the gateway: on Storage responses any header value naming the upstream origin is rewritten to
/// the public origin the request came in on plus /supabase, and a root-relative Location gets the /supabase prefix.
/// </summary>
public static class UpstreamUrlRewriter
{
    private const string GatewayPrefix = "/supabase";

    public static void Apply(ResponseTransformContext context)
    {
        var http = context.HttpContext;
        if (!Routing.RoutePolicies.HasRoutePolicy<Routing.RoutePolicies.StorageUpload>(http))
        {
            // Auth redirects name the upstream inside query strings (an OAuth redirect_uri) and must pass untouched.
            return;
        }
        var upstream = http.Features.Get<Yarp.ReverseProxy.Model.IReverseProxyFeature>()?.ProxiedDestination?.Model.Config.Address?.TrimEnd('/');
        if (string.IsNullOrEmpty(upstream))
        {
            return;
        }
        var publicBase = $"{http.Request.Scheme}://{http.Request.Host}{GatewayPrefix}";
        var headers = http.Response.Headers;
        List<KeyValuePair<string, StringValues>>? changed = null;
        foreach (var (name, values) in headers)
        {
            if (Rewrite(values, upstream, publicBase) is { } rewritten)
            {
                (changed ??= []).Add(new(name, new StringValues(rewritten)));
            }
        }
        foreach (var (name, values) in changed ?? [])
        {
            headers[name] = values;
        }
        if (headers.Location.ToString() is { Length: > 0 } location
            && location.StartsWith('/') && !location.StartsWith("//", StringComparison.Ordinal))
        {
            headers.Location = GatewayPrefix + location;
        }
    }

    /// <summary>Null when no value names the upstream (the common case allocates nothing).</summary>
    private static string[]? Rewrite(StringValues values, string upstream, string publicBase)
    {
        string[]? result = null;
        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i];
            if (value is not null && value.Contains(upstream, StringComparison.OrdinalIgnoreCase))
            {
                result ??= [.. values.Select(v => v ?? "")];
                result[i] = value.Replace(upstream, publicBase, StringComparison.OrdinalIgnoreCase);
            }
        }
        return result;
    }
}
