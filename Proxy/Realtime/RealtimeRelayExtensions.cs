namespace Proxy.Realtime;

/// <summary>Registration and endpoint of the Realtime websocket relay (owned by the realtime work).</summary>
public static class RealtimeRelayExtensions
{
    public static IServiceCollection AddRealtimeRelay(this IServiceCollection services) => services;

    /// <summary>Maps /supabase/realtime/v1/websocket; must be mapped before the YARP catch-all.</summary>
    public static IEndpointRouteBuilder MapRealtimeRelay(this IEndpointRouteBuilder endpoints) => endpoints;
}
