using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Bench.Roles;

/// <summary>
/// The baseline: YARP with the Proxy's route shape (/supabase/{**rest} → upstream, prefix removed) and nothing else —
/// no session lookup, no header rewriting, no CSRF middleware.
/// </summary>
public static class BareYarpApp
{
    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        var upstream = builder.Configuration["Bench:UpstreamUrl"]
            ?? throw new InvalidOperationException("Setting 'Bench:UpstreamUrl' is required for the bare-yarp role.");
        builder.Services.AddReverseProxy()
            .LoadFromMemory(
                [new RouteConfig { RouteId = "supabase", ClusterId = "upstream", Match = new RouteMatch { Path = "/supabase/{**rest}" } }],
                [new ClusterConfig { ClusterId = "upstream", Destinations = new Dictionary<string, DestinationConfig> { ["upstream"] = new() { Address = upstream } } }])
            .AddTransforms(context => context.AddPathRemovePrefix("/supabase"));
        var app = builder.Build();
        app.MapGet("/alive", () => Results.Text("ok"));
        app.MapReverseProxy();
        await app.RunAsync();
    }
}
