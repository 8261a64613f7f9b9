using Microsoft.Extensions.Options;
using Proxy.Options;
using Proxy.Routing;
using Proxy.Sessions;
using Yarp.ReverseProxy.Transforms;

namespace Proxy.Forwarding;

/// <summary>
/// To Supabase: the project key as apikey, Authorization replaced (the minted JWT for a live session, the anon key
/// otherwise; the browser's placeholder, publishable key or anything forged never goes upstream), no cookies, no
/// client-chosen client address; on auth routes the client IP in Sb-Forwarded-For, no Referer, no compression.
/// </summary>
public sealed class SupabaseRequestTransform(IOptions<SupabaseOptions> options) : RequestTransform
{
    /// <summary>Client-address headers some upstreams believe: only the gateway says who the client is.</summary>
    private static readonly string[] ClientAddressHeaders = ["X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "X-Client-IP", "Forwarded", "X-Forwarded-Host"];

    private readonly SupabaseOptions _supabase = options.Value;

    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var lookup = context.HttpContext.Features.Get<SessionFeature>()?.Lookup;
        var headers = context.ProxyRequest.Headers;
        headers.Remove("Cookie");
        headers.Remove("apikey");
        headers.Remove("Authorization");
        headers.Remove("Sb-Forwarded-For");
        foreach (var name in ClientAddressHeaders)
        {
            headers.Remove(name);
        }
        headers.TryAddWithoutValidation("apikey", _supabase.AnonKey);
        headers.TryAddWithoutValidation("Authorization", lookup is { State: SessionState.Live, Live: { } live } ? live.BearerHeader : _supabase.AnonBearer);
        if (context.HttpContext.HasRoutePolicy<RoutePolicies.AuthApi>())
        {
            if (context.HttpContext.Connection.RemoteIpAddress is { } ip)
            {
                headers.TryAddWithoutValidation("Sb-Forwarded-For", ip.ToString());
            }
            // GoTrue falls back to the Referer for a missing redirect_to: the browser's page must not pick the target.
            headers.Referrer = null;
            // The leak guard must read every auth answer as sent: no compressed body it would have to trust blindly.
            headers.AcceptEncoding.Clear();
            headers.TryAddWithoutValidation("Accept-Encoding", "identity");
        }
        return ValueTask.CompletedTask;
    }
}
