using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Proxy.Security;

/// <summary>
/// The Proxy's /health is on the public origin: it says healthy or unhealthy (200 / 503, what probes read) and names
/// none of the checks or services behind it. The detailed report stays on the other services, which are internal.
/// </summary>
public sealed class PublicHealth(RequestDelegate next, HealthCheckService health)
{
    public const string Path = "/health";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase) || !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
        {
            await next(context);
            return;
        }
        var report = await health.CheckHealthAsync(context.RequestAborted);
        var healthy = report.Status != HealthStatus.Unhealthy;
        context.Response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(healthy ? """{"status":"healthy"}""" : """{"status":"unhealthy"}""", context.RequestAborted);
    }
}
