using System.Runtime;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Bench.Roles;

/// <summary>
/// The baseline: YARP with the Proxy's route shape (/supabase/{**rest} → upstream, prefix removed) and none of the
/// gateway's logic (no session lookup, header rewriting, CSRF, rate limits, security headers). Everything around the
/// forwarding is set up as the Proxy sets it up, so "% of bare YARP" measures the gateway's own work: the full
/// <see cref="WebApplication.CreateBuilder(string[])"/> host (not the slim one), the shared ServiceDefaults (the same
/// OpenTelemetry switch — on only when an OTLP endpoint is configured — health checks, service discovery and its
/// YARP destination resolver), the same forwarder request settings (activity timeout), the same logging level (the
/// bench passes Logging:LogLevel:Default to both), Kestrel without the Server header, and the same GC mode (both are
/// Web SDK projects: server GC, concurrent; printed at start-up so the run records it).
/// </summary>
public static class BareYarpApp
{
    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.AddServiceDefaults();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        var upstream = builder.Configuration["Bench:UpstreamUrl"]
            ?? throw new InvalidOperationException("Setting 'Bench:UpstreamUrl' is required for the bare-yarp role.");
        // The Proxy's default forwarding timeout (Gateway:UpstreamTimeoutSeconds, 100 s).
        var forwarding = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromSeconds(100) };
        builder.Services.AddReverseProxy()
            .LoadFromMemory(
                [new RouteConfig { RouteId = "supabase", ClusterId = "upstream", Match = new RouteMatch { Path = "/supabase/{**rest}" } }],
                [new ClusterConfig
                {
                    ClusterId = "upstream", HttpRequest = forwarding,
                    Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = upstream } },
                }])
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms(context => context.AddPathRemovePrefix("/supabase"));
        var app = builder.Build();
        Console.WriteLine($"bare-yarp: server GC {GCSettings.IsServerGC}, latency mode {GCSettings.LatencyMode}");
        app.MapDefaultEndpoints();
        app.MapReverseProxy();
        await app.RunAsync();
    }
}
