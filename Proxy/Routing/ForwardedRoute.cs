namespace Proxy.Routing;

/// <summary>
/// One forwarded (YARP) route of the route table: its path template, the upstream cluster, the rate-limit policy and
/// the route policies (<see cref="RoutePolicies"/>) its endpoint carries.
/// </summary>
public sealed record ForwardedRoute(string Id, string Path, string Cluster, string? RateLimit, object[] Policies, int Order = GatewayRoutes.ForwardedOrder);
