using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// OpenTelemetry logs, traces and metrics exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (Aspire sets
/// it; <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c> and the other OTEL_* settings are honoured). The
/// instrumentation packages and OpenTelemetry.Extensions.Hosting are not in the offline feed, so we build the SDK
/// ourselves and listen to the activity sources and meters .NET itself emits (ASP.NET Core creates its request
/// activities only when such a listener exists).
/// </summary>
public static class OpenTelemetryExtensions
{
    /// <summary>Built-in .NET sources plus ours (SessionApi.Redis, Proxy.Realtime, ...).</summary>
    private static readonly string[] ActivitySources = ["Microsoft.AspNetCore", "System.Net.Http", "SessionApi.*", "Proxy.*", "SampleWeb.*"];

    private static readonly string[] Meters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing", "Microsoft.AspNetCore.Diagnostics", "Microsoft.AspNetCore.RateLimiting",
        "System.Net.Http", "System.Net.NameResolution", "System.Runtime", "SessionApi.*", "Proxy.*", "SampleWeb.*",
    ];

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var configuration = builder.Configuration;
        if (string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder; // no collector: nothing to export, and no listener overhead on the hot path
        }
        var serviceName = configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : builder.Environment.ApplicationName;
        void Resource(ResourceBuilder resource) => resource.AddService(serviceName);

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        builder.Services.ConfigureOpenTelemetryLoggerProvider(logs => logs.ConfigureResource(Resource).AddOtlpExporter());

        // Traces and metrics: OpenTelemetry.Extensions.Hosting is not in the feed, so the SDK is a singleton that the
        // host starts (below) and disposes (flushing what is buffered).
        builder.Services.AddSingleton(_ => OpenTelemetrySdk.Create(otel =>
        {
            otel.Services.AddSingleton<IConfiguration>(configuration); // OTEL_* settings from appsettings/env/command line
            otel.ConfigureResource(Resource)
                .WithTracing(tracing => tracing
                    .AddSource([builder.Environment.ApplicationName, .. ActivitySources])
                    .AddProcessor(new HealthProbeFilter()))
                .WithMetrics(metrics => metrics.AddMeter(Meters))
                .UseOtlpExporter();
        }));
        builder.Services.AddHostedService<OpenTelemetryStarter>();
        builder.Services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, RequestActivityEnricher>();
        return builder;
    }

    /// <summary>Creating the SDK at startup registers its listeners before the first request arrives.</summary>
    private sealed class OpenTelemetryStarter(OpenTelemetrySdk sdk) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            sdk.TracerProvider.ForceFlush(2_000);
            sdk.MeterProvider.ForceFlush(2_000);
            return Task.CompletedTask;
        }
    }

    /// <summary>Health probes every few seconds would drown the traces (Aspire's template filters them the same way).
    /// Unsetting "recorded" before the export processor sees the activity drops it.</summary>
    private sealed class HealthProbeFilter : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity activity)
        {
            if (activity.Source.Name == "Microsoft.AspNetCore" && activity.Parent is null && IsProbe(activity))
            {
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            }
        }

        private static bool IsProbe(Activity activity)
        {
            var path = activity.GetTagItem("url.path") as string; // set by RequestActivityEnricher
            return path is not null && (path.StartsWith(Extensions.HealthPath, StringComparison.OrdinalIgnoreCase)
                || path.StartsWith(Extensions.AlivePath, StringComparison.OrdinalIgnoreCase));
        }
    }
}
