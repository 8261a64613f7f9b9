using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TestSupport;
using Xunit.Abstractions;

namespace SessionApi.Tests.ServiceDefaults;

/// <summary>With OTEL_EXPORTER_OTLP_ENDPOINT set, logs, traces and metrics reach an OTLP/HTTP collector (an emulator here).</summary>
public sealed class OpenTelemetryExportTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LogsTracesAndMetricsAreExportedAndHealthProbesAreNotTraced()
    {
        var received = new ConcurrentQueue<(string Path, string Body)>();
        var port = FreePort.Next();
        var collector = WebApplication.CreateBuilder();
        collector.WebHost.UseUrls($"http://127.0.0.1:{port}");
        collector.Logging.ClearProviders();
        await using var collectorApp = collector.Build();
        collectorApp.MapPost("/v1/{signal}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Enqueue((request.Path, Encoding.Latin1.GetString(body.ToArray()))); // protobuf: strings appear verbatim
            return Results.Ok();
        });
        await collectorApp.StartAsync();

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "otel-export-test",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });
        builder.AddServiceDefaults();
        await using (var app = builder.Build())
        {
            app.MapDefaultEndpoints();
            app.MapGet("/traced-work", (ILogger<OpenTelemetryExportTests> logger) =>
            {
                logger.LogInformation("traced-work-log-marker");
                return "done";
            });
            await app.StartAsync();
            var http = app.GetTestClient();
            Assert.Equal("done", await http.GetStringAsync("/traced-work"));
            await http.GetStringAsync("/health");
            await http.GetStringAsync("/alive");

            var watch = Stopwatch.StartNew();
            while (!(Has("/v1/traces", "GET /traced-work") && Has("/v1/logs", "traced-work-log-marker") && Has("/v1/metrics", "http.server.request.duration")))
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15),
                    $"not everything was exported: traces {Has("/v1/traces", "GET /traced-work")}, logs {Has("/v1/logs", "traced-work-log-marker")}, metrics {Has("/v1/metrics", "http.server.request.duration")}; " +
                    string.Join(" | ", received.Where(r => r.Path == "/v1/traces").Take(3).Select(r => new string(r.Body.Where(c => c >= ' ' && c < 127).ToArray()))));
                await Task.Delay(50);
            }
            output.WriteLine($"all three signals exported within {watch.ElapsedMilliseconds} ms");
            await app.StopAsync();
        }
        Assert.True(Has("/v1/traces", "otel-export-test"), "the service name is the resource's service.name");
        Assert.False(Has("/v1/traces", "/health") || Has("/v1/traces", "/alive"), "health probes were traced");

        bool Has(string path, string text) => received.Any(r => r.Path == path && r.Body.Contains(text, StringComparison.Ordinal));
    }
}
