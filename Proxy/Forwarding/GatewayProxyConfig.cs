using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Proxy.Options;
using Proxy.Routing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Proxy.Forwarding;

/// <summary>
/// YARP's routes and clusters, built from the route table and the bound settings (Supabase:Url, Gateway:SampleWebUrl,
/// Gateway:UpstreamTimeoutSeconds). Logical names such as http://sampleweb are resolved by service discovery.
/// </summary>
public sealed class GatewayProxyConfig(IOptions<GatewayOptions> gateway, IOptions<SupabaseOptions> supabase) : IProxyConfigProvider
{
    private readonly Lazy<IProxyConfig> _config = new(() => Build(gateway.Value, supabase.Value));

    public IProxyConfig GetConfig() => _config.Value;

    private static Snapshot Build(GatewayOptions gateway, SupabaseOptions supabase)
    {
        // An upstream that accepts the connection but never answers gets 504 after this, not a hung browser.
        var forwarding = new ForwarderRequestConfig { ActivityTimeout = gateway.UpstreamTimeout };
        var routes = GatewayRoutes.Forwarded.Select(r => new RouteConfig
        {
            RouteId = r.Id,
            ClusterId = r.Cluster,
            Order = r.Order,
            RateLimiterPolicy = r.RateLimit,
            Match = new RouteMatch { Path = r.Path },
        }).ToList();
        var clusters = new List<ClusterConfig>
        {
            Cluster(GatewayRoutes.SupabaseCluster, supabase.Url, forwarding),
            Cluster(GatewayRoutes.SampleWebCluster, gateway.SampleWebUrl, forwarding),
        };
        return new Snapshot(routes, clusters);
    }

    private static ClusterConfig Cluster(string id, string url, ForwarderRequestConfig forwarding) => new()
    {
        ClusterId = id,
        HttpRequest = forwarding,
        Destinations = new Dictionary<string, DestinationConfig> { [id] = new() { Address = new Uri(url, UriKind.Absolute).ToString() } },
    };

    /// <summary>The configuration never changes while the process runs.</summary>
    private sealed class Snapshot(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig
    {
        public IReadOnlyList<RouteConfig> Routes { get; } = routes;
        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;
        public IChangeToken ChangeToken { get; } = new CancellationChangeToken(CancellationToken.None);
    }
}
