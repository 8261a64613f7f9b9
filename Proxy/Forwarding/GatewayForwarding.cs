using Proxy.Routing;
using Proxy.Sessions;
using Yarp.ReverseProxy.Configuration;

namespace Proxy.Forwarding;

/// <summary>
/// YARP: the forwarded routes of the route table (<see cref="GatewayRoutes.Forwarded"/>) to Supabase (prefix
/// stripped, credentials replaced) and SampleWeb (with a verifiable identity). The session step runs in the proxy
/// pipeline so it can fail closed before anything is sent.
/// </summary>
public static class GatewayForwarding
{
    public static IServiceCollection AddGatewayForwarding(this IServiceCollection services)
    {
        services.AddSingleton<IProxyConfigProvider, GatewayProxyConfig>();
        services.AddSingleton<SupabaseRequestTransform>();
        services.AddSingleton<SupabaseResponseTransform>();
        services.AddSingleton<SampleWebRequestTransform>();
        services.AddReverseProxy()
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms<GatewayTransforms>();
        return services;
    }

    /// <summary>The proxy pipeline: upstream failures rewritten (outermost, it acts after YARP), then the session step.</summary>
    public static void Configure(IReverseProxyApplicationBuilder pipeline)
    {
        pipeline.Use(UpstreamErrorResponses.RewriteAsync);
        pipeline.UseMiddleware<ForwardedSessionStep>();
    }

    /// <summary>Whether the request is being forwarded to Supabase (rather than SampleWeb).</summary>
    public static bool ToSupabase(HttpContext context) =>
        context.GetReverseProxyFeature().Route.Config.ClusterId == GatewayRoutes.SupabaseCluster;
}
