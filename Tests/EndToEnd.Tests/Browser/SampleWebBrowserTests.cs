using System.Net;
using EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Browser;

/// <summary>SampleWeb through the Proxy in a real browser (issue 5).</summary>
[Collection(GatewayCollection.Name)]
public sealed class SampleWebBrowserTests(SharedGatewayStack stack, SampleWebBrowser browser, ITestOutputHelper output) : IClassFixture<SampleWebBrowser>
{
    private string Url(string path) => stack.ProxyUrl.ToString().TrimEnd('/') + path;

    private Task<IPage> NewPageAsync(bool javaScript = true) => browser.NewPageAsync(stack.ProxyUrl.ToString(), javaScript);

    private static Task SignUpAsync(IPage page, string email) => SampleWebBrowser.SignUpAsync(page, email);

    private static Task SignInAsync(IPage page, string email) => SampleWebBrowser.SignInAsync(page, email);

    /// <summary>After a form post: the notice the gateway redirected to, once the page shows it.</summary>
    private static async Task ExpectNoticeAsync(IPage page, string code)
    {
        await page.GetByTestId("notice").Or(page.GetByTestId("form-error")).First.WaitForAsync();
        Assert.Contains("notice=" + code, page.Url);
    }

    [Fact]
    public async Task SignUpSignInAndTheFirstHtmlIsAlreadySignedIn()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/");
        output.WriteLine(await Chromium.ScreenshotAsync(page, "home-anonymous"));
        Assert.Equal(1, await page.GetByTestId("anonymous-home").CountAsync());

        var email = $"web-{Guid.NewGuid():N}@example.com";
        await SignUpAsync(page, email);
        await page.GetByTestId("sign-out").ClickAsync();
        await ExpectNoticeAsync(page, "signed-out");

        await page.GotoAsync("/sign-in");
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync("wrong-password");
        await page.GetByTestId("submit").ClickAsync();
        await page.GetByTestId("form-error").WaitForAsync();
        Assert.Contains("error=invalid_credentials", page.Url);
        Assert.Contains("Wrong email or password", await page.GetByTestId("form-error").InnerTextAsync());
        output.WriteLine(await Chromium.ScreenshotAsync(page, "sign-in-error"));

        await SignInAsync(page, email);
        // The raw first response of "/" (before any script runs) already has the signed-in markup.
        var response = await page.GotoAsync("/");
        var html = await response!.TextAsync();
        Assert.Contains("data-testid=\"signed-in-as\"", html);
        Assert.Contains(email, html);
        Assert.Contains("data-testid=\"authenticated-home\"", html);
        Assert.DoesNotContain("data-testid=\"anonymous-home\"", html);
        // One URL serves both variants, so a signed-in page must never be stored by a cache.
        Assert.Equal("no-store", response.Headers["cache-control"]);
        output.WriteLine(await Chromium.ScreenshotAsync(page, "home-authenticated"));

        // The session cookie is HttpOnly, SameSite=Lax, Path=/ and JavaScript cannot see it.
        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "sb-session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, cookie.SameSite);
        Assert.Equal("/", cookie.Path);
        Assert.DoesNotContain("sb-session", await page.EvaluateAsync<string>("document.cookie"));

        // Create a post and comment on it.
        await page.GotoAsync("/posts");
        // A title of blanks passes the browser's "required" check; the server says what is wrong, nothing is saved.
        await page.GetByTestId("post-title").FillAsync("   ");
        await page.GetByTestId("publish").ClickAsync();
        await page.GetByText("Give your post a title.").WaitForAsync();
        var title = "Hello " + Guid.NewGuid().ToString("N")[..6];
        await page.GetByTestId("post-title").FillAsync(title);
        await page.GetByTestId("post-body").FillAsync("Written through the gateway.");
        await page.GetByTestId("publish").ClickAsync();
        await page.GetByText(title).WaitForAsync();
        output.WriteLine(await Chromium.ScreenshotAsync(page, "posts"));
        await page.GetByText(title).ClickAsync();
        await page.GetByTestId("comment-body").FillAsync("First!");
        await page.GetByTestId("add-comment").ClickAsync();
        await page.GetByTestId("comment").GetByText("First!").WaitForAsync();
        output.WriteLine(await Chromium.ScreenshotAsync(page, "post-with-comments"));
    }

    [Fact]
    public async Task TheNotesPageShowsOnlyYourOwnRowsAndWorksWithoutJavaScript()
    {
        var other = await NewPageAsync();
        await SignUpAsync(other, $"other-{Guid.NewGuid():N}@example.com");
        await other.GotoAsync("/notes");
        await other.GetByTestId("note-body").FillAsync("someone else's secret");
        await other.GetByTestId("add-note").ClickAsync();
        await other.GetByTestId("note").First.WaitForAsync();

        var page = await NewPageAsync(javaScript: false);
        var email = $"nojs-{Guid.NewGuid():N}@example.com";
        await SignUpAsync(page, email);
        await page.GetByTestId("sign-out").ClickAsync();
        await ExpectNoticeAsync(page, "signed-out");
        Assert.Equal(0, await page.GetByTestId("signed-in-as").CountAsync());
        await SignInAsync(page, email);
        await page.GotoAsync("/notes");
        Assert.EndsWith("/notes", page.Url);
        await page.GetByTestId("note-body").FillAsync("my own note");
        await page.GetByTestId("add-note").ClickAsync();
        await page.GetByTestId("note").First.WaitForAsync();
        Assert.EndsWith("/notes", page.Url);
        var html = await (await page.GotoAsync("/notes"))!.TextAsync();
        Assert.Contains("my own note", html);
        Assert.DoesNotContain("someone else&#x27;s secret", html);
        Assert.DoesNotContain("someone else's secret", html);
        output.WriteLine(await Chromium.ScreenshotAsync(page, "notes"));
    }

    [Fact]
    public async Task AnonymousAccountVisitGoesToSignInAndBack()
    {
        var email = $"return-{Guid.NewGuid():N}@example.com";
        var setup = await NewPageAsync();
        await SignUpAsync(setup, email);

        var page = await NewPageAsync();
        await page.GotoAsync("/account");
        Assert.Contains("/sign-in?return_url=%2Faccount", page.Url);
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync("correct-horse");
        await page.GetByTestId("submit").ClickAsync();
        await page.GetByTestId("sessions").WaitForAsync();
        Assert.EndsWith("/account", page.Url);
    }

    [Fact]
    public async Task TwoBrowsersAreTwoSessionsAndRevokingOneSignsItOut()
    {
        var email = $"two-{Guid.NewGuid():N}@example.com";
        var laptop = await NewPageAsync();
        await SignUpAsync(laptop, email);
        var phone = await NewPageAsync();
        await SignInAsync(phone, email);
        // A second tab on the phone has the notes form open when the session is revoked.
        var phoneTab = await phone.Context.NewPageAsync();
        await phoneTab.GotoAsync("/notes");

        await laptop.GotoAsync("/account");
        // The sessions table is mirrored asynchronously; give it a moment.
        for (var i = 0; i < 20 && await laptop.GetByTestId("session-row").CountAsync() < 2; i++)
        {
            await Task.Delay(250);
            await laptop.ReloadAsync();
        }
        Assert.Equal(2, await laptop.GetByTestId("session-row").CountAsync());
        Assert.Equal(1, await laptop.GetByTestId("current").CountAsync());
        output.WriteLine(await Chromium.ScreenshotAsync(laptop, "account"));

        await laptop.GetByTestId("revoke").ClickAsync();
        await ExpectNoticeAsync(laptop, "revoked");

        // The phone finds out on its next navigation: signed-out markup and a clear banner.
        await phone.GotoAsync("/");
        Assert.Equal(1, await phone.GetByTestId("session-ended").CountAsync());
        Assert.Equal(0, await phone.GetByTestId("signed-in-as").CountAsync());
        output.WriteLine(await Chromium.ScreenshotAsync(phone, "session-revoked"));

        // Submitting the stale form saves nothing and asks to sign in again, coming back to the notes.
        await phoneTab.GetByTestId("note-body").FillAsync("written after revocation");
        await phoneTab.GetByTestId("add-note").ClickAsync();
        await phoneTab.GetByTestId("sign-in-form").WaitForAsync();
        Assert.Contains("/sign-in?return_url=%2Fnotes", phoneTab.Url);

        // Sign out everywhere else, then sign out here.
        await SignInAsync(phone, email);
        await laptop.GotoAsync("/account");
        await laptop.GetByTestId("sign-out-others").ClickAsync();
        await ExpectNoticeAsync(laptop, "signed-out-others");
        await phone.GotoAsync("/");
        Assert.Equal(0, await phone.GetByTestId("signed-in-as").CountAsync());
        Assert.Equal(1, await phone.GetByTestId("anonymous-home").CountAsync());
        await laptop.GotoAsync("/notes");
        Assert.Equal(1, await laptop.GetByTestId("signed-in-as").CountAsync());
        Assert.Equal(0, await laptop.GetByText("written after revocation").CountAsync());

        // And signing out here ends this session too.
        await laptop.GotoAsync("/account");
        await laptop.GetByTestId("sign-out-here").ClickAsync();
        await ExpectNoticeAsync(laptop, "signed-out");
        Assert.Equal(0, await laptop.GetByTestId("signed-in-as").CountAsync());
        await laptop.GotoAsync("/account");
        Assert.Contains("/sign-in?return_url=%2Faccount", laptop.Url);
    }

    [Fact]
    public async Task VariantsAreChosenByTheSessionAndTheTwinFolderIsNotARoute()
    {
        var page = await NewPageAsync();
        var response = await page.GotoAsync("/_Authenticated/notes");
        Assert.Equal(404, response!.Status);
        Assert.Equal("404", await page.GetByTestId("error-page").GetAttributeAsync("data-status"));

        await SignUpAsync(page, $"twin-{Guid.NewGuid():N}@example.com");
        foreach (var path in new[] { "/_Authenticated/notes", "/_Authenticated", "/_Authenticated/Index", "/_AUTHENTICATED/account" })
        {
            response = await page.GotoAsync(path);
            Assert.Equal(404, response!.Status);
            var html = await response.TextAsync();
            Assert.Contains("Page not found", html);
            Assert.DoesNotContain("   at ", html);
        }
        output.WriteLine(await Chromium.ScreenshotAsync(page, "not-found"));

        // Signed in, the sign-in page just continues to where the visitor was going.
        await page.GotoAsync("/sign-in?return_url=%2Fnotes");
        Assert.EndsWith("/notes", page.Url);
        await page.GetByTestId("new-note").WaitForAsync();
    }

    [Fact]
    public async Task SignInNeverRedirectsOffSite()
    {
        var email = $"redirect-{Guid.NewGuid():N}@example.com";
        await SignUpAsync(await NewPageAsync(), email);
        foreach (var target in new[] { "//evil.example/x", "/\\evil.example/x", "https://evil.example/x" })
        {
            var page = await NewPageAsync();
            await page.GotoAsync("/sign-in?return_url=" + Uri.EscapeDataString(target));
            Assert.Equal("/", await page.Locator("input[name=return_url]").GetAttributeAsync("value"));
            await page.GetByTestId("email").FillAsync(email);
            await page.GetByTestId("password").FillAsync("correct-horse");
            await page.GetByTestId("submit").ClickAsync();
            await page.GetByTestId("authenticated-home").WaitForAsync();
            Assert.StartsWith(stack.PublicOrigin + "/", page.Url);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task ForgedIdentityHeadersAreIgnored()
    {
        // Through the Proxy: a browser-sent X-Gateway-Identity is removed.
        using var viaProxy = new HttpClient { BaseAddress = stack.ProxyUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Gateway-Identity", ForgedAssertions.Unsigned());
        var html = await (await viaProxy.SendAsync(request)).Content.ReadAsStringAsync();
        Assert.Contains("anonymous-home", html);
        Assert.DoesNotContain("signed-in-as", html);

        // Directly at SampleWeb (a network hop the Proxy should own): nothing but an ES256 assertion signed by the
        // SessionApi's key is believed — not unsigned, not HS256 with the project's JWT secret, not ES256 with
        // another key that claims the real kid.
        using var direct = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.SampleWeb!.Url };
        foreach (var (kind, assertion) in new[]
                 {
                     ("unsigned", ForgedAssertions.Unsigned()),
                     ("HS256 with the JWT secret", ForgedAssertions.Hs256(TestSupport.LocalSupabaseKeys.JwtSecret)),
                     ("ES256 with another key", ForgedAssertions.Es256WithForeignKey("test-identity-1")),
                     ("garbage", "not a token at all"),
                 })
        {
            using var forged = new HttpRequestMessage(HttpMethod.Get, "/notes");
            forged.Headers.Add("X-Gateway-Identity", assertion);
            using var response = await direct.SendAsync(forged);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{kind}: {response.StatusCode}");
            Assert.StartsWith("/sign-in?return_url=%2Fnotes", response.Headers.Location!.ToString());
        }
    }
}
