using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Proxy.Hosting;
using Proxy.Security;
using Proxy.Tests.Support;
using TestSupport;

namespace Proxy.Tests.Security;

/// <summary>Every answer carries the headers a browser needs from an auth gateway, whoever produced it.</summary>
public sealed class SecurityHeadersTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    [Theory]
    [InlineData("/")]                                   // SampleWeb page
    [InlineData("/supabase/rest/v1/notes")]             // Supabase answer
    [InlineData("/edge/v1/session")]                    // the Proxy's own 401
    public async Task PagesAndApiAnswersAreNotSniffedFramedOrLeakedByReferrer(string path)
    {
        using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, path));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("frame-ancestors 'none'", Header(response, "Content-Security-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.Equal("strict-origin-when-cross-origin", Header(response, "Referrer-Policy"));
        Assert.Null(Header(response, "Strict-Transport-Security")); // plain http: HSTS would be ignored and is not sent
        Assert.Null(Header(response, "Server"));
    }

    [Theory]
    [InlineData("/edge/v1/session")]
    [InlineData("/supabase/auth/v1/settings")]
    public async Task SessionAndAuthAnswersAreNeverCached(string path)
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        using var response = await proxy.Client.SendAsync(proxy.Request(HttpMethod.Get, path, cookie));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(",", values) : null;
}

/// <summary>The global handler and HSTS, on a bare app with the same middleware (a real Proxy route cannot be made to throw on demand).</summary>
public sealed class UnhandledErrorTests
{
    [Fact]
    public async Task AnExceptionIsAJson500WithoutStackTraceOrSecretsAndHstsOnHttps()
    {
        var builder = WebApplication.CreateSlimBuilder();
        var port = FreePort.Next();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.UseUnhandledErrors();
        app.Use((context, next) =>
        {
            context.Request.Scheme = context.Request.Headers["X-Test-Scheme"].ToString() is { Length: > 0 } scheme ? scheme : "http";
            return next(context);
        });
        app.UseMiddleware<SecurityHeaders>();
        app.MapGet("/boom", (HttpContext _) => throw new InvalidOperationException("secret eyJhbGciOiJIUzI1NiJ9.e30.sig at Proxy.Internal"));
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        using var request = new HttpRequestMessage(HttpMethod.Get, "/boom");
        request.Headers.Add("X-Test-Scheme", "https");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(500, body["code"]!.GetValue<int>());
        Assert.Equal("unexpected_failure", body["error_code"]!.GetValue<string>());
        Assert.DoesNotContain("eyJ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", text, StringComparison.Ordinal);
        Assert.Equal(SecurityHeaders.StrictTransportSecurity, string.Join(",", response.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
    }
}
