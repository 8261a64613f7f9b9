using Microsoft.Extensions.DependencyInjection.Extensions;
using Proxy.Options;
using Proxy.Security;

namespace Proxy.Realtime;

/// <summary>Registration and endpoint of the Realtime websocket relay.</summary>
public static class RealtimeRelayExtensions
{
    /// <summary>The relay and what it needs (settings: <c>Gateway:Realtime</c>, <c>Gateway:PublicOrigins</c>, <c>Supabase</c>).</summary>
    public static IServiceCollection AddRealtimeRelay(this IServiceCollection services)
    {
        services.AddGatewaySettings();
        services.AddMetrics();
        services.TryAddSingleton<OriginPolicy>();
        services.TryAddSingleton<RealtimeTelemetry>();
        services.TryAddSingleton<RealtimeUpstream>();
        services.TryAddSingleton<RealtimeRelayEndpoint>();
        return services;
    }

    /// <summary>
    /// Maps /supabase/realtime/v1/websocket (a literal route: it wins over the forwarded /supabase/{**rest} by route
    /// precedence). The pipeline must include UseWebSockets (<see cref="Routing.GatewayPipeline"/> does).
    /// </summary>
    public static IEndpointRouteBuilder MapRealtimeRelay(this IEndpointRouteBuilder endpoints)
    {
        endpoints.Map(RealtimeRelayEndpoint.Path,
                (HttpContext context, RealtimeRelayEndpoint relay) => relay.HandleAsync(context))
            .WithDisplayName("Realtime websocket relay");
        return endpoints;
    }
}
