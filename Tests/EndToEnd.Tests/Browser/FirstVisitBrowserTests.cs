using EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace EndToEnd.Tests.Browser;

/// <summary>
/// What a new user meets in the first minutes, in Chromium through the Proxy (issue 19): a form posted from the
/// wrong address, a device signed out elsewhere, a mistyped password, post authors, the account page with one
/// session, and every page on a phone (375 px) and a desktop (1440 px) screen.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class FirstVisitBrowserTests(SharedGatewayStack stack, SampleWebBrowser browser, ITestOutputHelper output) : IClassFixture<SampleWebBrowser>
{
    private const int Phone = 375;
    private const int Desktop = 1440;

    private Task<IPage> NewPageAsync(int width = Desktop, bool javaScript = true, string? baseUrl = null) =>
        browser.NewPageAsync(baseUrl ?? stack.ProxyUrl.ToString(), javaScript, width);

    private static Task SignUpAsync(IPage page, string email, string name = "Test User") => SampleWebBrowser.SignUpAsync(page, email, name);

    private static Task SignInAsync(IPage page, string email) => SampleWebBrowser.SignInAsync(page, email);

    /// <summary>The same Proxy at <c>localhost</c> instead of the configured <c>127.0.0.1</c>: a real origin the Proxy does not trust.</summary>
    private string WrongAddress => $"http://localhost:{stack.ProxyUrl.Port}";

    [Fact]
    public async Task AFormPostedFromAnotherAddressShowsAPageSayingWhereTheSiteIs()
    {
        var email = $"csrf-{Guid.NewGuid():N}@example.com";
        await SignUpAsync(await NewPageAsync(), email);

        // The new user opened the site at localhost; the Proxy's configured origin is 127.0.0.1.
        var page = await NewPageAsync(baseUrl: WrongAddress);
        await page.GotoAsync("/sign-in");
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync("correct-horse");
        var response = await page.RunAndWaitForResponseAsync(() => page.GetByTestId("submit").ClickAsync(), r => r.Url.EndsWith("/edge/v1/forms/sign-in", StringComparison.Ordinal));

        Assert.Equal(403, response.Status);
        Assert.StartsWith("text/html", response.Headers["content-type"]);
        var text = await page.GetByTestId("csrf-rejected").InnerTextAsync();
        Assert.Contains(WrongAddress, text);
        Assert.Contains("Open the site at " + stack.PublicOrigin, text);
        Assert.Contains("nothing was changed", text);
        // The request carried no session cookie, so the page must not talk about one; and it is no JSON dump.
        Assert.DoesNotContain("cookie", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("{\"code\"", await page.ContentAsync());
        // The link reopens the page the form was on, at the configured address; nobody was signed in.
        Assert.Equal(stack.PublicOrigin + "/sign-in", await page.GetByTestId("csrf-site").GetAttributeAsync("href"));
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "sb-session");
        output.WriteLine(await Chromium.ScreenshotAsync(page, "csrf-rejected-1440"));

        await page.GetByTestId("csrf-site").ClickAsync();
        await page.GetByTestId("sign-in-form").WaitForAsync();
        Assert.Equal(stack.PublicOrigin + "/sign-in", page.Url);

        // A script on the wrong address (fetch, not a navigation) keeps GoTrue's JSON error.
        var wrong = await NewPageAsync(baseUrl: WrongAddress);
        await wrong.GotoAsync("/");
        var api = await wrong.EvaluateAsync<string>("""
            async () => {
              const r = await fetch('/supabase/auth/v1/token?grant_type=password', {
                method: 'POST', headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ email: 'x@example.com', password: 'x' }) });
              return r.status + ' ' + r.headers.get('content-type') + ' ' + await r.text();
            }
            """);
        Assert.StartsWith("403 application/json", api);
        Assert.Contains("\"code\":\"csrf_origin_mismatch\"", api);
        Assert.DoesNotContain("cookie", api, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ADeviceSignedOutElsewhereIsToldWhyOnTheSignInPage()
    {
        var email = $"revoked-{Guid.NewGuid():N}@example.com";
        var phone = await NewPageAsync(Phone, javaScript: false);
        await SignUpAsync(phone, email);
        var laptop = await NewPageAsync();
        await SignInAsync(laptop, email);

        // The laptop signs out every other device (the sessions list is mirrored asynchronously).
        await laptop.GotoAsync("/account");
        for (var i = 0; i < 20 && await laptop.GetByTestId("sign-out-others").CountAsync() == 0; i++)
        {
            await Task.Delay(250);
            await laptop.ReloadAsync();
        }
        await laptop.GetByTestId("sign-out-others").ClickAsync();
        await laptop.GetByTestId("notice").WaitForAsync();

        // The phone opens a protected page: it lands on sign-in with a word of why, not a bare form.
        await phone.GotoAsync("/notes");
        await phone.GetByTestId("sign-in-form").WaitForAsync();
        var notice = await phone.GetByTestId("notice").InnerTextAsync();
        Assert.Contains("You were signed out on this device", notice);
        Assert.Contains("return_url=%2Fnotes", phone.Url);
        output.WriteLine(await Chromium.ScreenshotAsync(phone, "sign-in-session-ended-375"));

        // Signing in from there goes back to the notes.
        await phone.GetByTestId("email").FillAsync(email);
        await phone.GetByTestId("password").FillAsync("correct-horse");
        await phone.GetByTestId("submit").ClickAsync();
        await phone.GetByTestId("new-note").WaitForAsync();
        Assert.EndsWith("/notes", phone.Url);

        // A visitor who never had a session is not told they were signed out.
        var stranger = await NewPageAsync();
        await stranger.GotoAsync("/notes");
        await stranger.GetByTestId("sign-in-form").WaitForAsync();
        Assert.Equal(0, await stranger.GetByTestId("notice").CountAsync());
    }

    [Fact]
    public async Task AWrongPasswordKeepsTheEmailButNeverThePassword()
    {
        var email = $"kept+{Guid.NewGuid():N}@example.com";
        await SignUpAsync(await NewPageAsync(), email);

        var page = await NewPageAsync(Phone, javaScript: false);
        await page.GotoAsync("/sign-in?return_url=%2Fnotes");
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync("wrong-password-123");
        await page.GetByTestId("submit").ClickAsync();
        await page.GetByTestId("form-error").WaitForAsync();

        Assert.Equal(email, await page.GetByTestId("email").InputValueAsync());
        Assert.Equal("", await page.GetByTestId("password").InputValueAsync());
        Assert.DoesNotContain("wrong-password-123", page.Url);
        Assert.DoesNotContain("wrong-password-123", await page.ContentAsync());
        output.WriteLine(await Chromium.ScreenshotAsync(page, "sign-in-wrong-password-375"));

        // Only the password needs typing again, and the return URL survived the failure.
        await page.GetByTestId("password").FillAsync("correct-horse");
        await page.GetByTestId("submit").ClickAsync();
        await page.GetByTestId("new-note").WaitForAsync();
        Assert.EndsWith("/notes", page.Url);
    }

    [Fact]
    public async Task PostsAndCommentsShowTheirAuthorsNameButNotTheirEmail()
    {
        var email = $"author-{Guid.NewGuid():N}@example.com";
        var page = await NewPageAsync();
        await SignUpAsync(page, email, name: "Ada <Lovelace>");
        var title = "Authored " + Guid.NewGuid().ToString("N")[..6];
        await page.GotoAsync("/posts");
        await page.GetByTestId("post-title").FillAsync(title);
        await page.GetByTestId("publish").ClickAsync();
        var post = page.GetByTestId("post").Filter(new() { HasText = title });
        await post.WaitForAsync();
        Assert.Equal("Ada <Lovelace>", await post.GetByTestId("post-author").InnerTextAsync());
        await post.GetByRole(AriaRole.Link).ClickAsync();
        await page.GetByTestId("comment-body").FillAsync("A comment with a byline.");
        await page.GetByTestId("add-comment").ClickAsync();
        await page.GetByTestId("comment").WaitForAsync();
        Assert.Equal("Ada <Lovelace>", await page.GetByTestId("comment-author").InnerTextAsync());

        // Anonymous readers see the same name, and never the author's email.
        var reader = await NewPageAsync();
        var html = await (await reader.GotoAsync(page.Url))!.TextAsync();
        Assert.Equal("Ada <Lovelace>", await reader.GetByTestId("post-author").InnerTextAsync());
        Assert.Equal("Ada <Lovelace>", await reader.GetByTestId("comment-author").InnerTextAsync());
        Assert.DoesNotContain(email, html);
        Assert.DoesNotContain("<Lovelace>", html); // encoded, not markup

        // A member who gave no name is shown neutrally, still without the email.
        var nameless = await NewPageAsync();
        var otherEmail = $"nameless-{Guid.NewGuid():N}@example.com";
        await SignUpAsync(nameless, otherEmail, name: "");
        await nameless.GotoAsync("/posts");
        var otherTitle = "Nameless " + Guid.NewGuid().ToString("N")[..6];
        await nameless.GetByTestId("post-title").FillAsync(otherTitle);
        await nameless.GetByTestId("publish").ClickAsync();
        var otherPost = nameless.GetByTestId("post").Filter(new() { HasText = otherTitle });
        await otherPost.WaitForAsync();
        Assert.Equal("A member", await otherPost.GetByTestId("post-author").InnerTextAsync());
        Assert.DoesNotContain(otherEmail, await otherPost.InnerTextAsync());
    }

    [Fact]
    public async Task WithOneSessionTheAccountPageSaysThereAreNoOtherSessions()
    {
        var page = await NewPageAsync();
        await SignUpAsync(page, $"alone-{Guid.NewGuid():N}@example.com");
        await page.GotoAsync("/account");
        Assert.Contains("No other sessions", await page.GetByTestId("no-other-sessions").InnerTextAsync());
        Assert.Equal(0, await page.Locator("button:disabled").CountAsync());
        output.WriteLine(await Chromium.ScreenshotAsync(page, "account-one-session-1440"));
    }

    [Fact]
    public async Task EveryPageFitsAPhoneAndADesktopAndALongEmailStaysReadable()
    {
        // A long address the header must show in full (wrapped), not cut off.
        var email = $"a-rather-long-name.{Guid.NewGuid():N}@subdomain.example-company.com";
        var setup = await NewPageAsync();
        await SignUpAsync(setup, email);
        await setup.GotoAsync("/posts");
        await setup.GetByTestId("post-title").FillAsync("Screenshot post");
        await setup.GetByTestId("post-body").FillAsync("A post to look at on a phone and on a desktop.");
        await setup.GetByTestId("publish").ClickAsync();
        var postPath = await setup.GetByTestId("post").Filter(new() { HasText = "Screenshot post" }).First.GetByRole(AriaRole.Link).GetAttributeAsync("href") ?? "/";
        var csrfPage = $"{WrongAddress}/sign-in";

        foreach (var width in new[] { Phone, Desktop })
        {
            var anonymous = await NewPageAsync(width);
            foreach (var (name, path) in new[]
                     {
                         ("home-anonymous", "/"), ("sign-in", "/sign-in"), ("sign-up", "/sign-up"),
                         ("posts-anonymous", "/posts"), ("post-anonymous", postPath), ("not-found", "/no-such-page"),
                     })
            {
                await anonymous.GotoAsync(path);
                await ExpectFitsAsync(anonymous, name, width);
            }

            var wrong = await NewPageAsync(width);
            await wrong.GotoAsync(csrfPage);
            await wrong.GetByTestId("email").FillAsync(email);
            await wrong.GetByTestId("password").FillAsync("correct-horse");
            await wrong.GetByTestId("submit").ClickAsync();
            await wrong.GetByTestId("csrf-rejected").WaitForAsync();
            await ExpectFitsAsync(wrong, "csrf-rejected", width);

            var signedIn = await NewPageAsync(width);
            await SignInAsync(signedIn, email);
            foreach (var (name, path) in new[]
                     {
                         ("home-signed-in", "/"), ("notes", "/notes"), ("posts-signed-in", "/posts"),
                         ("post-signed-in", postPath), ("account", "/account"),
                     })
            {
                await signedIn.GotoAsync(path);
                await ExpectFitsAsync(signedIn, name, width);
                // The whole address is readable in the header: wrapped, not clipped, and repeated in its title.
                var header = signedIn.GetByTestId("signed-in-as");
                Assert.Contains(email, await header.InnerTextAsync());
                Assert.Contains(email, await header.GetAttributeAsync("title") ?? "");
                Assert.True(await header.EvaluateAsync<bool>("e => e.scrollWidth <= e.clientWidth && e.getBoundingClientRect().right <= window.innerWidth"),
                    $"the email is cut off in the header of {path} at {width} px");
            }
        }
    }

    /// <summary>No sideways scrolling (nothing wider than the screen) and a screenshot named page-width.</summary>
    private async Task ExpectFitsAsync(IPage page, string name, int width)
    {
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        output.WriteLine(await Chromium.ScreenshotAsync(page, $"{name}-{width}"));
        Assert.True(overflow <= 0, $"{name} is {overflow} px wider than a {width} px screen");
    }
}
