using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Proxy.Security;

namespace Proxy.Hosting;

/// <summary>Everything in front of the gateway's own logic: error handling, client address, headers, size limits.</summary>
public static class GatewayHardening
{
    public static IHostApplicationBuilder AddGatewayHardening(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IConfigureOptions<KestrelServerOptions>, KestrelLimits>();
        builder.Services.AddTransient<GatewayRateLimiter>();
        return builder;
    }

    /// <summary>Order matters: errors outermost, then the client address, then headers on every answer (refusals included).</summary>
    public static IApplicationBuilder UseGatewayHardening(this IApplicationBuilder app)
    {
        app.UseUnhandledErrors();
        app.UseIngressForwarding();
        app.UseMiddleware<SecurityHeaders>();
        app.UseMiddleware<RequestLimitsMiddleware>();
        return app;
    }
}
