using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// OpenTelemetry with the OTLP exporter (Aspire sets OTEL_EXPORTER_OTLP_ENDPOINT). The instrumentation packages
/// are not in the offline feed, so we listen to the activity sources and meters .NET itself emits.
/// </summary>
public static class OpenTelemetryExtensions
{
    /// <summary>Built-in .NET sources plus ours (SessionApi.Redis, SessionApi.Sessions, Proxy.Sessions, Proxy.Realtime, ...).</summary>
    private static readonly string[] ActivitySources = ["Microsoft.AspNetCore", "System.Net.Http", "SessionApi.*", "Proxy.*", "SampleWeb.*"];

    private static readonly string[] Meters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing", "Microsoft.AspNetCore.Diagnostics", "Microsoft.AspNetCore.RateLimiting",
        "System.Net.Http", "System.Net.NameResolution", "System.Runtime", "SessionApi.*", "Proxy.*", "SampleWeb.*",
    ];

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var endpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return builder; // no collector: nothing to export, and no listener overhead on the hot path
        }

        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Environment.ApplicationName;
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        // OpenTelemetry.Extensions.Hosting is not in the feed: build the SDK ourselves and dispose it with the host.
        builder.Services.AddSingleton(_ => OpenTelemetrySdk.Create(otel => otel
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithLogging()
            .WithTracing(tracing => tracing
                .AddSource([builder.Environment.ApplicationName, .. ActivitySources])
                .SetSampler(new ParentBasedSampler(new AlwaysOnSampler())))
            .WithMetrics(metrics => metrics.AddMeter(Meters))
            .UseOtlpExporter()));
        builder.Services.AddHostedService<OpenTelemetryStarter>();
        return builder;
    }

    /// <summary>Resolves the SDK at startup so listeners exist before the first request.</summary>
    private sealed class OpenTelemetryStarter(OpenTelemetrySdk sdk) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            sdk.Dispose();
            return Task.CompletedTask;
        }
    }
}
