namespace SupabaseStandIn.Realtime;

/// <summary>The Realtime (Phoenix websocket) part of the stand-in (owned by the realtime work).</summary>
public static class RealtimeStandInExtensions
{
    public static IServiceCollection AddRealtimeStandIn(this IServiceCollection services) => services;

    /// <summary>Maps /realtime/v1/websocket and /realtime/v1/api/broadcast.</summary>
    public static IEndpointRouteBuilder MapRealtimeStandIn(this IEndpointRouteBuilder endpoints) => endpoints;
}
