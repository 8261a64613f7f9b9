using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Proxy.Options;

namespace Proxy.Hosting;

/// <summary>
/// The client's address feeds rate limits and Sb-Forwarded-For, so X-Forwarded-For is believed only when
/// Gateway:Ingress:TrustForwardedHeaders says an ingress (Azure Container Apps) appends it. Then only the last
/// entry counts (the one the ingress added; anything before it came from the client). Otherwise the connection's
/// address is the client's and YARP overwrites any X-Forwarded-For the client sent.
/// </summary>
public static class IngressForwarding
{
    public static IApplicationBuilder UseIngressForwarding(this IApplicationBuilder app)
    {
        if (!app.ApplicationServices.GetRequiredService<IOptions<GatewayOptions>>().Value.Ingress.TrustForwardedHeaders)
        {
            return app;
        }
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            ForwardLimit = 1,
        };
        // The ingress's addresses are not known in advance; the Proxy is reachable only through it.
        options.KnownIPNetworks.Clear();
        options.KnownProxies.Clear();
        return app.UseForwardedHeaders(options);
    }
}
