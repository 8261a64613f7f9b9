using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Proxy.Security;

/// <summary>
/// The Proxy's /health is on the public origin: it says healthy or unhealthy (200 / 503, what probes read) and names
/// none of the checks or services behind it. The detailed report stays on the other services, which are internal.
/// </summary>
public static class PublicHealth
{
    public const string Path = "/health";

    public static IApplicationBuilder UsePublicHealth(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (!context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase) || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
        {
            await next(context);
            return;
        }
        var report = await context.RequestServices.GetRequiredService<HealthCheckService>().CheckHealthAsync(context.RequestAborted);
        var healthy = report.Status != HealthStatus.Unhealthy;
        context.Response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(healthy ? """{"status":"healthy"}""" : """{"status":"unhealthy"}""", context.RequestAborted);
    });
}
