using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace SessionApi.Tests.ServiceDefaults;

/// <summary>/health is readiness (every check), /alive is liveness (checks tagged "live"), in every environment.</summary>
public sealed class HealthEndpointTests
{
    [Fact]
    public async Task ReadinessReportsAFailingDependencyWhileLivenessStaysUp()
    {
        var dependencyUp = true;
        await using var app = await StartAsync(builder => builder.Services.AddHealthChecks()
            .AddCheck("database", () => dependencyUp ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("secret detail"), ["ready"]));
        var http = app.GetTestClient();

        var healthy = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Equal("""{"status":"Healthy","checks":{"self":"Healthy","database":"Healthy"}}""", await healthy.Content.ReadAsStringAsync());

        dependencyUp = false;
        var unhealthy = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        var body = await unhealthy.Content.ReadAsStringAsync();
        Assert.Equal("Unhealthy", JsonDocument.Parse(body).RootElement.GetProperty("checks").GetProperty("database").GetString());
        Assert.DoesNotContain("secret detail", body);

        var alive = await http.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal("""{"status":"Healthy","checks":{"self":"Healthy"}}""", await alive.Content.ReadAsStringAsync());
        Assert.Equal("no-store", alive.Headers.CacheControl?.ToString());
    }

    private static async Task<WebApplication> StartAsync(Action<WebApplicationBuilder> configure)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.AddServiceDefaults();
        configure(builder);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        return app;
    }
}
