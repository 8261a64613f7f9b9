using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TestSupport;

namespace Proxy.Tests.Support;

/// <summary>Starts the Proxy's real registrations (as Program.cs does) to read what startup says about settings.</summary>
public static class ProxyStartup
{
    /// <summary>A complete, valid set of Proxy settings whose peers are all unreachable (startup never calls them).</summary>
    public static Dictionary<string, string?> ValidSettings() =>
        ServiceSettings.Proxy("http://127.0.0.1:1", "anon", "http://127.0.0.1:1", FakeSessionApi.CallerKey, "http://127.0.0.1:1", "http://127.0.0.1:8080");

    /// <summary>The exception startup ends with for these settings, or null when the Proxy started.</summary>
    public static async Task<Exception?> ErrorAsync(IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{FreePort.Next()}");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        builder.AddGateway();
        await using var app = builder.Build();
        var error = await Record.ExceptionAsync(() => app.StartAsync());
        if (error is null)
        {
            await app.StopAsync();
        }
        return error;
    }
}
