using System.Net;
using Proxy.Tests.Support;

namespace Proxy.Tests.Edge;

/// <summary>No-JavaScript form posts: 303 to local pages only, errors as GoTrue codes in the query.</summary>
public sealed class FormEndpointTests(ProxyHarness proxy) : IClassFixture<ProxyHarness>
{
    private async Task<HttpResponseMessage> PostFormAsync(string path, Dictionary<string, string> fields, string? cookie = null)
    {
        var request = proxy.Request(HttpMethod.Post, path, cookie);
        request.Content = new FormUrlEncodedContent(fields);
        return await proxy.Client.SendAsync(request);
    }

    [Theory]
    [InlineData("/posts/7", "/posts/7")]
    [InlineData("//evil.example/x", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("/\u00e9t\u00e9 page", "/%C3%A9t%C3%A9%20page")] // issue 20, point 6: non-ASCII was a 500 after the session existed
    public async Task SignInSetsTheCookieAndReturnsToLocalPagesOnly(string returnUrl, string expected)
    {
        using var response = await PostFormAsync("/edge/v1/forms/sign-in",
            new() { ["email"] = "form@example.com", ["password"] = "right", ["return_url"] = returnUrl });
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal(expected, response.Headers.Location!.OriginalString);
        Assert.NotNull(proxy.SessionApi.Find(ProxyHarness.SetCookieValue(response)!));
    }

    [Fact]
    public async Task WrongPasswordGoesBackWithGoTruesCodeAndTheEmailButNotThePassword()
    {
        using var response = await PostFormAsync("/edge/v1/forms/sign-in",
            new() { ["email"] = "form+1@example.com", ["password"] = "wrong", ["return_url"] = "/notes" });
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/sign-in?error=invalid_credentials&return_url=%2Fnotes&email=form%2B1%40example.com", response.Headers.Location!.OriginalString);
        Assert.DoesNotContain("wrong", response.Headers.Location!.OriginalString);
        Assert.Null(ProxyHarness.SetCookieHeader(response));
    }

    [Theory]
    [InlineData("")]
    [InlineData("line\nbreak@example.com")]
    public async Task AnEmailNotWorthKeepingIsLeftOut(string email)
    {
        using var response = await PostFormAsync("/edge/v1/forms/sign-in",
            new() { ["email"] = email, ["password"] = "wrong", ["return_url"] = "/notes" });
        Assert.Equal("/sign-in?error=invalid_credentials&return_url=%2Fnotes", response.Headers.Location!.OriginalString);

        using var tooLong = await PostFormAsync("/edge/v1/forms/sign-in",
            new() { ["email"] = new string('a', 250) + "@example.com", ["password"] = "wrong", ["return_url"] = "/notes" });
        Assert.DoesNotContain("email=", tooLong.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task SignUpSendsTheDisplayNameAndHandlesBothOutcomes()
    {
        using var confirm = await PostFormAsync("/edge/v1/forms/sign-up",
            new() { ["email"] = "confirm-form@example.com", ["password"] = "right", ["display_name"] = "Ann" });
        Assert.Equal(HttpStatusCode.SeeOther, confirm.StatusCode);
        Assert.StartsWith("/sign-in?notice=confirm-email", confirm.Headers.Location!.OriginalString);
        Assert.Contains("\"display_name\":\"Ann\"", proxy.Supabase.RequestsTo("/auth/v1/signup").Last().Body);

        using var session = await PostFormAsync("/edge/v1/forms/sign-up",
            new() { ["email"] = "new-form@example.com", ["password"] = "right", ["display_name"] = "Bo", ["return_url"] = "/account" });
        Assert.Equal("/account", session.Headers.Location!.OriginalString);
        Assert.NotNull(ProxyHarness.SetCookieValue(session));
    }

    [Fact]
    public async Task SignOutAndRevokeForms()
    {
        var (cookie, _, _) = await proxy.SignInAsync();
        var (other, _, _) = await proxy.SignInAsync();
        var otherId = proxy.SessionApi.Find(other)!.Id;

        using var revoke = await PostFormAsync($"/edge/v1/forms/sessions/{otherId}/revoke", [], cookie);
        Assert.Equal(HttpStatusCode.SeeOther, revoke.StatusCode);
        Assert.Equal("/account?notice=revoked", revoke.Headers.Location!.OriginalString);
        Assert.Null(proxy.SessionApi.Find(other));

        using var signOut = await PostFormAsync("/edge/v1/forms/sign-out", new() { ["scope"] = "local" }, cookie);
        Assert.Equal(HttpStatusCode.SeeOther, signOut.StatusCode);
        Assert.StartsWith("/", signOut.Headers.Location!.OriginalString);
        Assert.Equal("", ProxyHarness.SetCookieValue(signOut));
        Assert.Null(proxy.SessionApi.Find(cookie));
    }

    [Fact]
    public async Task NotAFormIsSentBackNotCrashed()
    {
        var request = proxy.Request(HttpMethod.Post, "/edge/v1/forms/sign-in");
        request.Content = new StringContent("{not a form", System.Text.Encoding.UTF8, "application/json");
        using var response = await proxy.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.StartsWith("/sign-in?error=validation_failed", response.Headers.Location!.OriginalString);
    }
}
