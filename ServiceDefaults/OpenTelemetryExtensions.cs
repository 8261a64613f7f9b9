using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// OpenTelemetry logs, traces and metrics: ASP.NET Core, HttpClient and runtime instrumentation plus the project's own
/// sources and meters, exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (Aspire sets it; the other
/// OTEL_* settings are honoured).
/// </summary>
public static class OpenTelemetryExtensions
{
    /// <summary>Ours: SessionApi.*, Proxy.* (e.g. Proxy.Realtime), SampleWeb.*.</summary>
    private static readonly string[] ProjectSources = ["SessionApi.*", "Proxy.*", "SampleWeb.*"];

    /// <summary>True when a collector is configured. Without one nothing is instrumented: nothing would be exported,
    /// and the listeners would cost every request.</summary>
    public static bool IsOtlpExportConfigured(this IHostApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (!builder.IsOtlpExportConfigured())
        {
            return builder;
        }
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(ProjectSources))
            .WithTracing(tracing => tracing
                .AddSource([builder.Environment.ApplicationName, .. ProjectSources])
                // Health probes every few seconds would drown the traces.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsHealthProbe(context.Request.Path))
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();
        return builder;
    }

    private static bool IsHealthProbe(PathString path) =>
        path.StartsWithSegments(Extensions.HealthPath) || path.StartsWithSegments(Extensions.AlivePath);
}
