using Microsoft.Playwright;

namespace EndToEnd.Tests.Browser;

/// <summary>
/// Chromium for the browser suites (one per test class), opening isolated pages on the gateway, with the SampleWeb
/// steps every suite repeats: sign up, sign in, and waiting for the signed-in page.
/// </summary>
public sealed class SampleWebBrowser : IAsyncLifetime
{
    private IPlaywright _playwright = null!;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync() => (_playwright, Browser) = await Chromium.LaunchAsync();

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }

    /// <summary>A page in a context of its own (own cookies) at <paramref name="baseUrl"/>; <paramref name="width"/> sets a screen size.</summary>
    public async Task<IPage> NewPageAsync(string baseUrl, bool javaScript = true, int? width = null)
    {
        var context = await Browser.NewContextAsync(new()
        {
            JavaScriptEnabled = javaScript,
            BaseURL = baseUrl,
            ViewportSize = width is { } w ? new() { Width = w, Height = w <= 375 ? 740 : 900 } : null,
        });
        return await context.NewPageAsync();
    }

    public static async Task SignUpAsync(IPage page, string email, string name = "Test User", string password = "correct-horse")
    {
        await page.GotoAsync("/sign-up");
        await page.GetByTestId("display-name").FillAsync(name);
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync(password);
        await page.GetByTestId("submit").ClickAsync();
        await ExpectSignedInAsync(page);
    }

    public static async Task SignInAsync(IPage page, string email, string password = "correct-horse")
    {
        await page.GotoAsync("/sign-in");
        await page.GetByTestId("email").FillAsync(email);
        await page.GetByTestId("password").FillAsync(password);
        await page.GetByTestId("submit").ClickAsync();
        await ExpectSignedInAsync(page);
    }

    /// <summary>Waits for the next page's content (not its load event, which a no-JavaScript page may not report).</summary>
    public static async Task ExpectSignedInAsync(IPage page)
    {
        await page.GetByTestId("signed-in-as").Or(page.GetByTestId("form-error")).First.WaitForAsync();
        if (await page.GetByTestId("form-error").CountAsync() > 0)
        {
            throw new InvalidOperationException($"Signing in failed at {page.Url}: {await page.GetByTestId("form-error").InnerTextAsync()}");
        }
    }
}
