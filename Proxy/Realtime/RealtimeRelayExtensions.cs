using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Proxy.Realtime;

/// <summary>Registration and endpoint of the Realtime websocket relay.</summary>
public static class RealtimeRelayExtensions
{
    /// <summary>Relay options (<c>Gateway:Realtime</c>, <c>Supabase:Url</c>, <c>Supabase:AnonKey</c>), validated at startup.</summary>
    public static IServiceCollection AddRealtimeRelay(this IServiceCollection services)
    {
        services.AddOptions<RealtimeRelayOptions>()
            .BindConfiguration(RealtimeRelayOptions.SectionName)
            .Validate(o => o.MaxMessageBytes is >= 1024 and <= 64 * 1024 * 1024,
                "Gateway:Realtime:MaxMessageBytes must be between 1024 and 67108864.")
            .Validate(o => o.CloseTimeout > TimeSpan.Zero && o.ConnectTimeout > TimeSpan.Zero,
                "Gateway:Realtime:CloseTimeout and Gateway:Realtime:ConnectTimeout must be positive.")
            .Validate(o => o.RotateAfterFraction is > 0.1 and < 0.95,
                "Gateway:Realtime:RotateAfterFraction must be between 0.1 and 0.95.")
            .ValidateOnStart();
        services.AddOptions<RealtimeUpstreamOptions>()
            .BindConfiguration(RealtimeUpstreamOptions.SectionName)
            .Validate(o => Uri.TryCreate(o.Url, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps),
                "Supabase:Url must be an absolute http(s) URL (the Supabase API gateway).")
            .Validate(o => !string.IsNullOrWhiteSpace(o.AnonKey), "Supabase:AnonKey is required (the project key sent as apikey).")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<RealtimeTelemetry>();
        services.TryAddSingleton<RealtimeOriginCheck>();
        services.TryAddSingleton<RealtimeUpstream>();
        services.TryAddSingleton<RealtimeRelayEndpoint>();
        return services;
    }

    /// <summary>Maps /supabase/realtime/v1/websocket; must be mapped before the YARP catch-all.</summary>
    public static IEndpointRouteBuilder MapRealtimeRelay(this IEndpointRouteBuilder endpoints)
    {
        // The websocket middleware provides the upgrade feature; it only acts on upgrade requests.
        if (endpoints is IApplicationBuilder app)
        {
            app.UseWebSockets();
        }
        endpoints.Map(RealtimeRelayEndpoint.Path,
                (HttpContext context, RealtimeRelayEndpoint relay) => relay.HandleAsync(context))
            .WithDisplayName("Realtime websocket relay");
        return endpoints;
    }
}
