using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every service shares, in the shape of Aspire's ServiceDefaults template: OpenTelemetry, health endpoints,
/// service discovery (<c>http://sessionapi</c>-style names from <c>services:*</c> settings) and HttpClient defaults.
/// No resilience handler by default: most calls here are either not idempotent (sign-in, refresh) or on the
/// per-request path, where a retry would spend the latency budget; clients opt in with
/// <see cref="AddRetriesForIdempotentWork"/>.
/// </summary>
public static class Extensions
{
    internal const string HealthPath = "/health";
    internal const string AlivePath = "/alive";
    public const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddServiceDiscovery();
            http.ConfigureHttpClient(client => client.Timeout = TimeSpan.FromSeconds(30));
            http.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromSeconds(5),
                UseCookies = false, // server-to-server calls are per end user: a shared cookie jar would mix users
                PooledConnectionLifetime = TimeSpan.FromMinutes(2), // picks up DNS changes (e.g. a redeployed container)
            });
        });
        return builder;
    }

    /// <summary>The standard resilience pipeline (retries, circuit breaker, attempt timeouts), for a client whose
    /// calls are idempotent and run off the request path.</summary>
    public static IHttpClientBuilder AddRetriesForIdempotentWork(this IHttpClientBuilder http)
    {
        http.AddStandardResilienceHandler();
        return http;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// <c>/health</c>: every registered check (readiness: each service adds its dependencies, e.g. "redis" tagged "ready");
    /// <c>/alive</c>: only checks tagged "live" (the process runs). Both answer 200 or 503 with a small JSON body naming
    /// each check's status (no exception details). Mapped in every environment: tests and orchestrators probe them.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath, new HealthCheckOptions { ResponseWriter = WriteStatusAsync });
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag), ResponseWriter = WriteStatusAsync });
        return app;
    }

    private static async Task WriteStatusAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteString(name, entry.Status.ToString());
        }
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
