using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TestSupport;

namespace SessionApi.Tests.ServiceDefaults;

/// <summary>Every HttpClient from the factory reaches Aspire-style service names (services:{name}:{endpoint}:{i}); other hosts pass through.</summary>
public sealed class ServiceDiscoveryTests
{
    [Fact]
    public async Task EveryHttpClientFromTheFactoryReachesTheServiceByItsLogicalName()
    {
        var port = FreePort.Next();
        var target = WebApplication.CreateBuilder();
        target.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var targetApp = target.Build();
        targetApp.MapGet("/hello", (HttpRequest request) => $"hello from {request.Host}{request.QueryString}");
        await targetApp.StartAsync();

        var caller = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        caller.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["services:greeter:http:0"] = $"http://127.0.0.1:{port}",
            ["services:greeter:admin:0"] = $"http://127.0.0.1:{port}",
        });
        caller.AddServiceDefaults();
        caller.Services.AddHttpClient("named", http => http.BaseAddress = new Uri("https+http://greeter")); // http accepted when https is not configured
        using var host = caller.Build();
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();

        Assert.Equal($"hello from 127.0.0.1:{port}?x=1", await factory.CreateClient().GetStringAsync("http://greeter/hello?x=1"));
        Assert.Equal($"hello from 127.0.0.1:{port}", await factory.CreateClient("named").GetStringAsync("/hello"));
        Assert.Equal($"hello from 127.0.0.1:{port}", await factory.CreateClient().GetStringAsync("http://_admin.greeter/hello")); // a named endpoint
        Assert.Equal($"hello from 127.0.0.1:{port}", await factory.CreateClient().GetStringAsync($"http://127.0.0.1:{port}/hello")); // plain URLs pass through
        Assert.Equal(TimeSpan.FromSeconds(30), factory.CreateClient().Timeout);
    }
}
