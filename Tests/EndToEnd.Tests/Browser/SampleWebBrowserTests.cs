using System.Net;
using EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Browser;

/// <summary>SampleWeb through the Proxy in a real browser (issue 5).</summary>
[Collection(GatewayCollection.Name)]
public sealed class SampleWebBrowserTests(GatewayStack stack, ITestOutputHelper output) : IAsyncLifetime
{
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync() => (_playwright, _browser) = await Chromium.LaunchAsync();

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    private string Url(string path) => stack.ProxyUrl.ToString().TrimEnd('/') + path;

    private async Task<IPage> NewPageAsync(bool javaScript = true)
    {
        var context = await _browser.NewContextAsync(new() { JavaScriptEnabled = javaScript, BaseURL = stack.ProxyUrl.ToString() });
        return await context.NewPageAsync();
    }

    private static async Task SignUpAsync(IPage page, string email, string password = "correct-horse")
    {
        await page.GotoAsync("/sign-up");
        await page.GetByTestId("display-name").FillAsync("Test User");
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync(password);
        await page.GetByTestId("submit").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/sign-up"));
    }

    private static async Task SignInAsync(IPage page, string email, string password = "correct-horse")
    {
        await page.GotoAsync("/sign-in");
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync(password);
        await page.GetByTestId("submit").ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/sign-in"));
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
        await page.WaitForURLAsync(url => url.Contains("notice=signed-out"));

        await page.GotoAsync("/sign-in");
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync("wrong-password");
        await page.GetByTestId("submit").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("error=invalid_credentials"));
        Assert.Contains("Wrong email or password", await page.GetByTestId("form-error").InnerTextAsync());
        output.WriteLine(await Chromium.ScreenshotAsync(page, "sign-in-error"));

        await SignInAsync(page, email);
        // The raw first response of "/" (before any script runs) already has the signed-in markup.
        var response = await page.GotoAsync("/");
        var html = await response!.TextAsync();
        Assert.Contains("data-testid=\"signed-in-as\"", html);
        Assert.Contains(email, html);
        Assert.Contains("data-testid=\"authenticated-home\"", html);
        output.WriteLine(await Chromium.ScreenshotAsync(page, "home-authenticated"));

        // The session cookie is HttpOnly, SameSite=Lax, Path=/ and JavaScript cannot see it.
        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "sb-session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Lax, cookie.SameSite);
        Assert.Equal("/", cookie.Path);
        Assert.DoesNotContain("sb-session", await page.EvaluateAsync<string>("document.cookie"));

        // Create a post and comment on it.
        await page.GotoAsync("/posts");
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
        await SignUpAsync(page, $"nojs-{Guid.NewGuid():N}@example.com");
        await page.GotoAsync("/notes");
        await page.GetByTestId("note-body").FillAsync("my own note");
        await page.GetByTestId("add-note").ClickAsync();
        await page.WaitForURLAsync(url => url.EndsWith("/notes"));
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
        await page.WaitForURLAsync(url => url.EndsWith("/account"));
        await page.GetByTestId("sessions").WaitForAsync();
    }

    [Fact]
    public async Task TwoBrowsersAreTwoSessionsAndRevokingOneSignsItOut()
    {
        var email = $"two-{Guid.NewGuid():N}@example.com";
        var laptop = await NewPageAsync();
        await SignUpAsync(laptop, email);
        var phone = await NewPageAsync();
        await SignInAsync(phone, email);

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
        await laptop.WaitForURLAsync(url => url.Contains("notice=revoked"));

        // The phone finds out on its next navigation: signed-out markup and a clear banner.
        await phone.GotoAsync("/");
        Assert.Equal(1, await phone.GetByTestId("session-ended").CountAsync());
        Assert.Equal(0, await phone.GetByTestId("signed-in-as").CountAsync());
        output.WriteLine(await Chromium.ScreenshotAsync(phone, "session-revoked"));

        // Sign out everywhere else, then sign out here.
        await SignInAsync(phone, email);
        await laptop.GotoAsync("/account");
        await laptop.GetByTestId("sign-out-others").ClickAsync();
        await laptop.WaitForURLAsync(url => url.Contains("notice=signed-out-others"));
        await phone.GotoAsync("/");
        Assert.Equal(0, await phone.GetByTestId("signed-in-as").CountAsync());
        await laptop.GotoAsync("/");
        Assert.Equal(1, await laptop.GetByTestId("signed-in-as").CountAsync());
    }

    [Fact]
    public async Task ForgedIdentityHeadersAreIgnored()
    {
        // Through the Proxy: a browser-sent X-Gateway-Identity is removed.
        using var viaProxy = new HttpClient { BaseAddress = stack.ProxyUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        request.Headers.Add("X-Gateway-Identity", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.");
        var html = await (await viaProxy.SendAsync(request)).Content.ReadAsStringAsync();
        Assert.Contains("anonymous-home", html);

        // Directly at SampleWeb: an unsigned or wrongly signed assertion is not believed.
        using var direct = new HttpClient { BaseAddress = stack.SampleWeb!.Url };
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/notes");
        forged.Headers.Add("X-Gateway-Identity", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJzdXBhYmFzZS1nYXRld2F5IiwiYXVkIjoic2FtcGxld2ViIiwic3ViIjoieCIsInNpZCI6InkiLCJzYl90b2tlbiI6InoiLCJleHAiOjQxMDI0NDQ4MDB9.");
        var response = await new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.SampleWeb!.Url }.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/sign-in", response.Headers.Location!.ToString());
    }
}
