using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Proxy;
using Proxy.Tests.Support;
using TestSupport;

namespace Proxy.Tests.Security;

/// <summary>Misconfiguration stops the Proxy with a message naming the setting; readiness includes the SessionApi.</summary>
public sealed class StartupTests
{
    private static Dictionary<string, string?> Valid() => ProxyStartup.ValidSettings();

    [Theory]
    [InlineData("Gateway:SessionApiKey", "", "Gateway:SessionApiKey")]
    [InlineData("Gateway:PublicOrigins:0", "https://app.example.com/path", "Gateway:PublicOrigins")]
    [InlineData("Gateway:PublicOrigins:0", null, "Gateway:PublicOrigins")]
    [InlineData("Gateway:SessionApiUrl", "sessionapi", "Gateway:SessionApiUrl")]
    [InlineData("Gateway:CookieName", "bad name;", "Gateway:CookieName")]
    [InlineData("Supabase:Url", "not a url", "Supabase:Url")]
    [InlineData("Supabase:AnonKey", "", "Supabase:AnonKey")]
    [InlineData("Gateway:SampleWebUrl", "not a url", "Gateway:SampleWebUrl")]
    [InlineData("Gateway:RateLimits:SignIn:WindowSeconds", "0", "Gateway:RateLimits:SignIn:WindowSeconds")]
    [InlineData("Gateway:RateLimits:Otp:PerIp", "-1", "Gateway:RateLimits:Otp:PerIp")]
    [InlineData("Gateway:Limits:MaxHeaderBytes", "100", "Gateway:Limits:MaxHeaderBytes")]
    [InlineData("Gateway:Limits:MaxJsonDepth", "1", "Gateway:Limits:MaxJsonDepth")]
    [InlineData("Gateway:Limits:MaxCookieHeaderBytes", "999999999", "Gateway:Limits:MaxCookieHeaderBytes")]
    [InlineData("Gateway:SessionCacheSize", "5", "Gateway:SessionCacheSize")]
    [InlineData("Gateway:UpstreamTimeoutSeconds", "0", "Gateway:UpstreamTimeoutSeconds")]
    [InlineData("Gateway:AllowedRedirectUrls:0", "https://*", "Gateway:AllowedRedirectUrls:0")]
    [InlineData("Gateway:Realtime:MaxMessageBytes", "10", "Gateway:Realtime:MaxMessageBytes")]
    [InlineData("Gateway:Realtime:RotateAfterFraction", "0.99", "Gateway:Realtime:RotateAfterFraction")]
    [InlineData("Gateway:UserWebhook:Secret", "not-a-secret", "Gateway:UserWebhook:Secret")]
    [InlineData("Gateway:UserWebhook:ToleranceSeconds", "0", "Gateway:UserWebhook:ToleranceSeconds")]
    public async Task BadSettingsStopStartupNamingTheSetting(string key, string? value, string named)
    {
        var settings = Valid();
        if (value is null)
        {
            settings.Remove(key);
        }
        else
        {
            settings[key] = value;
        }
        var error = await ProxyStartup.ErrorAsync(settings);
        Assert.NotNull(error);
        Assert.True(error.ToString().Contains(named, StringComparison.Ordinal), error.ToString());
    }

    [Fact]
    public async Task ReadinessFollowsTheSessionApiWithoutNamingIt()
    {
        await using var sessionApi = await FakeSessionApi.StartAsync();
        var settings = Valid();
        settings["Gateway:SessionApiUrl"] = sessionApi.Url;
        var port = FreePort.Next();
        await using var factory = ProxyHarness.Create(settings, port);
        factory.StartServer();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        // Issue 20, point 9: the public origin's /health says healthy or unhealthy and names nothing behind it.
        using var healthy = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Equal("{\"status\":\"healthy\"}", await healthy.Content.ReadAsStringAsync());

        sessionApi.Failing = true;
        using var unhealthy = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        Assert.Equal("{\"status\":\"unhealthy\"}", await unhealthy.Content.ReadAsStringAsync());
    }
}
