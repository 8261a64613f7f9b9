using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Proxy.Tests.Support;

namespace Proxy.Tests.Security;

/// <summary>
/// A refused cross-origin request gets an answer its sender can use: browsers navigating (plain form posts) an HTML
/// page naming the configured origin, scripts and API clients GoTrue's JSON; neither speaks of a cookie not sent.
/// </summary>
public sealed class CsrfRejectionTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    private static HttpRequestMessage FormPost(string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "ann@example.com", ["password"] = "secret-password" }),
        };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return request;
    }

    [Theory]
    [InlineData("navigate", "document", null)]
    [InlineData("navigate", null, null)]
    [InlineData(null, "document", null)]
    [InlineData(null, null, "text/html,application/xhtml+xml,*/*;q=0.8")] // a browser without Fetch Metadata
    public async Task ABrowserFormPostGetsAnHtmlPageNamingTheConfiguredOrigin(string? mode, string? destination, string? accept)
    {
        var headers = new List<(string, string)> { ("Origin", "http://localhost:5080"), ("Referer", "http://localhost:5080/sign-in?return_url=%2Fnotes") };
        if (mode is not null) { headers.Add(("Sec-Fetch-Mode", mode)); }
        if (destination is not null) { headers.Add(("Sec-Fetch-Dest", destination)); }
        if (accept is not null) { headers.Add(("Accept", accept)); }
        using var response = await proxy.Client.SendAsync(FormPost("/edge/v1/forms/sign-in", [.. headers]));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("csrf_origin_mismatch", response.Headers.GetValues("x-sb-error-code").Single());
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString());
        // No script, nothing external, no form can be submitted from it.
        Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("http://localhost:5080", html);
        Assert.Contains($"Open the site at <a href=\"{proxy.PublicOrigin}/sign-in?return_url=%2Fnotes\"", html);
        Assert.DoesNotContain("cookie", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret-password", html);
        Assert.Null(ProxyHarness.SetCookieHeader(response));
    }

    [Fact]
    public async Task TheLinkNeverLeavesTheConfiguredOriginAndEncodesWhatTheRefererSaid()
    {
        using var foreign = await proxy.Client.SendAsync(FormPost("/edge/v1/forms/sign-in",
            ("Origin", "https://evil.example"), ("Referer", "https://evil.example/trap?x=\"><script>"), ("Sec-Fetch-Mode", "navigate")));
        var html = await foreign.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Contains($"href=\"{proxy.PublicOrigin}/trap?x=%22%3E%3Cscript%3E\"", html);
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("href=\"https://evil.example", html);

        // A Referer from elsewhere than the form's origin, or none, links to the home page.
        using var mismatch = await proxy.Client.SendAsync(FormPost("/edge/v1/forms/sign-in",
            ("Origin", "http://localhost:5080"), ("Referer", "https://evil.example/trap"), ("Sec-Fetch-Mode", "navigate")));
        Assert.Contains($"href=\"{proxy.PublicOrigin}/\"", await mismatch.Content.ReadAsStringAsync());
        using var opaque = await proxy.Client.SendAsync(FormPost("/edge/v1/forms/sign-in", ("Origin", "null"), ("Sec-Fetch-Mode", "navigate")));
        var opaqueHtml = await opaque.Content.ReadAsStringAsync();
        Assert.Contains($"href=\"{proxy.PublicOrigin}/\"", opaqueHtml);
        Assert.Contains("from another site, or from a page that did not say where it came from", opaqueHtml);
    }

    [Theory]
    [InlineData("cors", "empty")] // fetch() from a page
    [InlineData(null, null)]      // an API client without browser headers, Accept */*
    public async Task ScriptsAndApiClientsKeepGoTruesJson(string? mode, string? destination)
    {
        var headers = new List<(string, string)> { ("Origin", "https://evil.example") };
        if (mode is not null) { headers.Add(("Sec-Fetch-Mode", mode)); }
        if (destination is not null) { headers.Add(("Sec-Fetch-Dest", destination)); }
        using var response = await proxy.Client.SendAsync(FormPost("/edge/v1/forms/sign-in", [.. headers]));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("csrf_origin_mismatch", body["code"]!.GetValue<string>());
        // No session cookie was sent, so the message does not speak of one.
        Assert.DoesNotContain("cookie", body["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task WithTheCookieTheJsonMessageSaysSo()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        using var request = proxy.Request(HttpMethod.Post, "/supabase/rest/v1/notes", cookie, new { body = "x" });
        request.Headers.Add("Origin", "https://evil.example");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains("session cookie", body["message"]!.GetValue<string>());
    }
}
