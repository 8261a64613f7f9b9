using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TestSupport;

namespace SessionApi.Tests.ServiceDefaults;

/// <summary>Aspire-style service URIs resolved from services:{name}:{endpoint}:{i} settings.</summary>
public sealed class ServiceDiscoveryTests
{
    private static readonly IConfiguration Settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["services:sessionapi:http:0"] = "http://127.0.0.1:5101",
        ["services:sessionapi:https:0"] = "https://127.0.0.1:7101",
        ["services:sampleweb:http:0"] = "http://localhost:5202",
        ["services:sessionapi:admin:0"] = "http://127.0.0.1:5999",
    }).Build();

    [Theory]
    [InlineData("http://sessionapi/internal/v1/sessions?x=1", "http://127.0.0.1:5101/internal/v1/sessions?x=1")]
    [InlineData("https://sessionapi/", "https://127.0.0.1:7101/")]
    [InlineData("https+http://sessionapi/a", "https://127.0.0.1:7101/a")] // https preferred
    [InlineData("https+http://sampleweb/b", "http://localhost:5202/b")] // http accepted when https is not configured
    [InlineData("http://_admin.sessionapi/metrics", "http://127.0.0.1:5999/metrics")] // a named endpoint
    [InlineData("http://unknown/c", "http://unknown/c")] // nothing configured: unchanged
    [InlineData("https+http://unknown/d", "http://unknown/d")]
    [InlineData("https://api.example.com:8443/e", "https://api.example.com:8443/e")]
    public void ResolvesConfiguredEndpointsAndLeavesOthersAlone(string logical, string expected)
    {
        Assert.Equal(expected, ServiceEndpointResolver.Resolve(Settings, new Uri(logical)).ToString());
        Assert.Equal(expected, new ServiceEndpointResolver(Settings).Resolve(new Uri(logical)).ToString());
    }

    [Fact]
    public void AConfigurationReloadIsPickedUp()
    {
        var source = new Dictionary<string, string?> { ["services:sessionapi:http:0"] = "http://127.0.0.1:1111" };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(source).Build();
        var resolver = new ServiceEndpointResolver(configuration);
        Assert.Equal(1111, resolver.Resolve(new Uri("http://sessionapi/")).Port);
        configuration["services:sessionapi:http:0"] = "http://127.0.0.1:2222";
        configuration.Reload();
        Assert.Equal(2222, resolver.Resolve(new Uri("http://sessionapi/")).Port);
    }

    [Fact]
    public async Task EveryHttpClientFromTheFactoryReachesTheServiceByItsLogicalName()
    {
        var port = FreePort.Next();
        var target = WebApplication.CreateBuilder();
        target.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var targetApp = target.Build();
        targetApp.MapGet("/hello", (HttpRequest request) => $"hello from {request.Host}");
        await targetApp.StartAsync();

        var caller = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        caller.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["services:greeter:http:0"] = $"http://127.0.0.1:{port}" });
        caller.AddServiceDefaults();
        caller.Services.AddHttpClient("named", http => http.BaseAddress = new Uri("https+http://greeter"));
        using var host = caller.Build();
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();

        Assert.Equal($"hello from 127.0.0.1:{port}", await factory.CreateClient().GetStringAsync("http://greeter/hello"));
        Assert.Equal($"hello from 127.0.0.1:{port}", await factory.CreateClient("named").GetStringAsync("/hello"));
        Assert.Equal(TimeSpan.FromSeconds(30), factory.CreateClient().Timeout);
    }
}
