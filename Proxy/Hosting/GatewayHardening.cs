using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Proxy.Hosting;

/// <summary>Kestrel's own limits, derived from Gateway:Limits (the pipeline's steps are in Routing/GatewayPipeline).</summary>
public static class GatewayHardening
{
    public static IHostApplicationBuilder AddGatewayHardening(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IConfigureOptions<KestrelServerOptions>, KestrelLimits>();
        return builder;
    }
}
